"""The files of an upload analysis: one set, written as a folder (the CLI) or a zip (the page).

:func:`analysis_files` turns an :class:`geo.analysis.upload.UploadAnalysis` into named files,
each made by the house's writers (:func:`geo.export.csv.to_csv_safe`: no cell runs as a formula;
:func:`geo.export.geojson.to_geojson`: RFC 7946), with one ``README.txt`` that says what each file
holds, the method and its parameters (from the run's own attributes), the match report and the
attribution, first of all that the uploaded values are the user's own:

* ``hotspots.csv``: ``code, value, statistic, p, q, label, outcome, bin`` for every matched
  small area (not for a council upload, which is ranked instead: the README says so);
* ``areas.geojson``: the matched areas with values, ranks, hotspot and bivariate outcomes;
* ``clusters.geojson``: the named clusters of worse clusters, dissolved outlines (small areas);
* ``summaries_<level>.csv``: by council (``lad24``, ``utla24``) and ward (``ward24``); data zones
  by council only;
* ``correlations.csv``: Spearman correlations with each nation's own index and its domains;
* ``bivariate.csv``: the bivariate local Moran (when computed);
* ``councils.csv``: ranks and statistical neighbours (council uploads).

:func:`analysis_zip` packs them (the same bytes for the same analysis) and
:func:`write_analysis_folder` writes them into a temporary folder beside the target and renames
it into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import html
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from geo._errors import InputError
from geo.export.csv import to_csv_safe
from geo.export.geojson import to_geojson
from geo.export.metadata import attribution_text, export_metadata

__all__ = ["HOTSPOT_CSV_COLUMNS", "analysis_files", "analysis_metadata", "analysis_readme",
           "analysis_zip", "write_analysis_folder"]

#: Columns of ``hotspots.csv`` after ``code``.
HOTSPOT_CSV_COLUMNS = ("value", "statistic", "p", "q", "label", "outcome", "bin")

#: Registry datasets behind the analysis of each kind of upload (besides the boundaries), when
#: the analysis does not list its own (``method["sources"]``).
SOURCES = {"small": ["iod2025", "population", "lookup_lsoa21_ward24_lad24"],
           "council": ["summary_lad24"]}

#: What each file holds, for the README.
FILE_NOTES = {
    "hotspots.csv": "every matched area: code, value, Gi* statistic (z), p, q (FDR), label "
                    "(about values: hot/cold spot), outcome (by your polarity) and bin (+3..-3)",
    "areas.geojson": "the matched areas (WGS 84) with value, rank and decile on your own ranks "
                     "(1 = worst), hotspot columns, cluster_id and the bivariate bv_* columns",
    "clusters.geojson": "named clusters of touching worse clusters, with their outlines",
    "correlations.csv": "Spearman correlation of your values with each nation's own index and "
                        "its domains (one row per measure: index, nations it covers, "
                        "orientation: ranks reversed so that higher = more deprived)",
    "bivariate.csv": "bivariate local Moran: your value against deprivation around each area",
    "councils.csv": "each council's rank and its comparison with its statistical neighbours",
}

#: Fixed timestamp of the zip's entries (the same analysis gives the same bytes).
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def _plain(text: object) -> str:
    """Text already made safe by :func:`geo.upload._input.safe_label`, for a plain-text README.

    The label and the match report are HTML-escaped for the page; a ``.txt`` file is not HTML,
    so entities are turned back into characters (control characters stay removed and a
    leading formula character keeps its apostrophe).
    """
    return html.unescape(str(text))


def analysis_metadata(analysis: Any, *, source: str | None = None) -> dict[str, Any]:
    """Provenance of an analysis's files: the user's data first, then the store's sources.

    Parameters
    ----------
    analysis
        An :class:`geo.analysis.upload.UploadAnalysis`.
    source
        The uploaded file's name (already safe), for the README and the attribution.
    """
    kind = "council" if analysis.councils is not None else "small"
    datasets = analysis.method.get("sources") or (
        SOURCES[kind] if kind == "small" else [f"summary_{analysis.level}"])
    method = {**analysis.method, "indicator": _plain(analysis.label)}  # as written, not HTML
    meta = export_metadata(datasets, level=analysis.level, method=method,
                           title="oppmap analysis of your data")
    yours = (f"Your values ('{_plain(analysis.label)}'"
             + (f" from {_plain(source)}" if source else "")
             + ") are your own data: oppmap analysed them as uploaded; credit their source "
               "when you share these files.")
    meta["attribution"] = [yours, *meta["attribution"]]
    meta["indicator"] = _plain(analysis.label)
    if source:
        meta["source"] = _plain(source)
    return meta


def _hotspot_lines(analysis: Any) -> list[str]:
    method = analysis.method.get("hotspots") or {}
    if analysis.hotspots is None:
        return [f"  Not tested: {analysis.hotspot_reason}"]
    outcomes = ", ".join(f"{k} {v:,}" for k, v in (method.get("outcomes") or {}).items())
    lines = [f"  Getis-Ord Gi* on the {method.get('graph')} contiguity graph cut to your areas: "
             f"{method.get('n_tested', 0):,} areas tested, {method.get('not_tested', 0):,} not "
             f"tested (no value, or, for {method.get('areas_without_neighbours', 0):,}, no "
             "neighbour among your areas).",
             f"  {method.get('permutations', 0):,} permutations"
             + (f" (the store's national runs use {method['national_permutations']:,})"
                if method.get("national_permutations") else "")
             + f", seed {method.get('seed')}, "
             f"alpha {method.get('alpha')}, correction {method.get('correction')}, polarity "
             f"{method.get('polarity')}; p: {method.get('p_value')}.",
             f"  Outcomes: {outcomes}."]
    clusters = analysis.method.get("clusters") or {}
    if clusters:
        n = clusters.get("clusters", 0)
        lines.append(f"  {n} named cluster{'' if n == 1 else 's'} of {clusters.get('outcome')} "
                     f"areas at {clusters.get('confidence')}% confidence or more (links that "
                     f"join islands left out: {clusters.get('island_links_ignored', 0)}).")
        if clusters.get("population_known") is False:
            lines.append("  Cluster size is the number of areas (n_lsoas counts data zones); "
                         "population is empty: the mirror has no data-zone population.")
    return lines


def _link_lines(analysis: Any) -> list[str]:
    lines = []
    corr = analysis.correlations
    if len(corr):
        lines.append(f"  {corr.attrs.get('method', 'Spearman rank correlation')}; each area "
                     "against its own nation's index, ranks reversed so that higher = more "
                     "deprived:")
        lines += [f"    {row.label}: rho {row.spearman_rho:.3f} (n {row.n:,}, p {row.p:.3g}): "
                  f"{row.direction}" for row in corr.itertuples()]
    bv = analysis.method.get("bivariate") or {}
    if analysis.bivariate is not None:
        measure = bv.get("deprivation")
        if measure in corr.index and "label" in corr.columns:
            measure = f"{corr.at[measure, 'label']} ({measure})"
        lines.append(f"  Bivariate local Moran against {measure}: "
                     f"{bv.get('permutations', 0):,} permutations, seed {bv.get('seed')}; p: "
                     f"{bv.get('p_value')}. 'worse cluster' = your value worse and deprivation "
                     "around it high; label: your value, then deprivation around (High-High).")
    elif analysis.bivariate_reason:
        lines.append(f"  Bivariate map not computed: {analysis.bivariate_reason}")
    return lines


def analysis_readme(analysis: Any, *, files: Iterable[str], source: str | None = None,
                    messages: Iterable[str] = ()) -> str:
    """The README of an analysis: what, the match report, each file, the method, attribution."""
    meta = analysis_metadata(analysis, source=source)
    worse = {"higher_worse": "higher values are worse", "higher_better": "lower values are worse"}
    weights = (analysis.method.get("summaries") or {}).get("weights", "")
    weighted = "unweighted" if str(weights).startswith("none") else "population-weighted"
    lines = [f"oppmap analysis of your data: {_plain(analysis.label)}",
             *([f"Data from: {_plain(source)}"] if source else []),
             f"Level: {analysis.level}"
             + (" (carried from LSOA 2011 through the ONS lookup: see the match report)"
                if analysis.method.get("carry") else "")
             + f"; {analysis.method.get('areas_with_value', 0):,} of "
             f"{analysis.method.get('areas', 0):,} matched areas have a value",
             f"Which end is worse (your answer): {worse.get(analysis.polarity, analysis.polarity)}",
             "", "Match report:", *(f"  {_plain(m)}" for m in messages or ["(not given)"]),
             "", "Notes:", *(f"  {_plain(n)}" for n in analysis.notes or ["(none)"]),
             "", "Files:"]
    for name in files:
        note = FILE_NOTES.get(name) or (f"summaries by {name[10:-4]}: {weighted} average, "
                                        "share in your worst decile, extent, local "
                                        "concentration, coverage" if name.startswith("summaries_")
                                        else "")
        lines.append(f"  {name}: {note}" if note else f"  {name}")
    lines += ["", "Hotspots:", *_hotspot_lines(analysis), "", "Link to deprivation:",
              *_link_lines(analysis), ""]
    return "\n".join(lines) + "\n" + attribution_text(meta)


def _hotspot_table(analysis: Any) -> pd.DataFrame:
    areas = pd.DataFrame(analysis.areas.drop(columns=analysis.areas.geometry.name))
    table = pd.DataFrame(index=pd.Index(areas.index, name="code"))
    for column in HOTSPOT_CSV_COLUMNS:
        table[column] = areas[column].to_numpy() if column in areas.columns else pd.NA
    if analysis.hotspots is None:
        table["outcome"] = "not tested"
    return table


def _csv(frame: pd.DataFrame) -> bytes:
    return (to_csv_safe(frame, None) or "").encode("utf-8")


def analysis_files(analysis: Any, *, source: str | None = None, messages: Iterable[str] = (),
                   areas: bool = True) -> dict[str, bytes]:
    """Every file of an analysis, by name, README first (see the module).

    Parameters
    ----------
    analysis
        An :class:`geo.analysis.upload.UploadAnalysis`.
    source
        The uploaded file's name (already safe).
    messages
        The match report (``read_upload(...).messages``).
    areas
        Include ``areas.geojson`` (every matched polygon: the slowest file, about 6 s and 25 MB
        for England's 33,755 LSOAs).
    """
    meta = analysis_metadata(analysis, source=source)
    # a council upload is never tested for hotspots (the README says why): no file of
    # "not tested" rows and no empty clusters
    councils = analysis.councils is not None
    files: dict[str, bytes] = {} if councils else {"hotspots.csv": _csv(_hotspot_table(analysis))}
    if areas:
        files["areas.geojson"] = to_geojson(analysis.areas, metadata=meta)
    if not councils:
        files["clusters.geojson"] = to_geojson(analysis.clusters, metadata=meta)
    for level, table in analysis.summaries.items():
        files[f"summaries_{level}.csv"] = _csv(table)
    files["correlations.csv"] = _csv(analysis.correlations)
    if analysis.bivariate is not None:
        columns = [c for c in ("value", "deprivation_lag", *HOTSPOT_CSV_COLUMNS[1:])
                   if c in analysis.bivariate.columns]
        files["bivariate.csv"] = _csv(analysis.bivariate[columns].rename_axis("code"))
    if analysis.councils is not None:
        files["councils.csv"] = _csv(analysis.councils)
    readme = analysis_readme(analysis, files=["README.txt", *files], source=source,
                             messages=messages)
    return {"README.txt": readme.encode("utf-8"), **files}


def analysis_zip(files: Mapping[str, bytes]) -> bytes:
    """The files of :func:`analysis_files` as one zip (fixed timestamps: same input, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def write_analysis_folder(files: Mapping[str, bytes], folder: str | os.PathLike, *,
                          force: bool = False) -> list[Path]:
    """Write ``files`` into ``folder``: a temporary folder beside it, renamed into place.

    Parameters
    ----------
    files
        File name -> bytes (:func:`analysis_files`).
    folder
        The output folder; its parent must exist. An existing folder is replaced only with
        ``force`` (and only once the new one is complete).

    Returns
    -------
    list of Path
        The files written, in order.

    Raises
    ------
    InputError
        A missing parent folder, ``folder`` being a file, or an existing folder without ``force``.
    """
    out = Path(folder).expanduser()
    if not out.parent.is_dir():
        msg = (f"the folder {str(out.parent)!r} does not exist; create it first "
               f"(mkdir -p {str(out.parent)!r}) or choose another path")
        raise InputError(msg)
    if out.exists() and (not out.is_dir() or not force):
        what = "is a file" if not out.is_dir() else "exists; add --force to replace it"
        raise InputError(f"{str(out)!r} {what}, or choose another name")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    old: Path | None = None
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{tmp.name.rsplit('.', 2)[-2]}")
            out.rename(old)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not out.exists():
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return [out / name for name in files]
