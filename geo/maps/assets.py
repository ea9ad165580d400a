"""Map assets without internet: Leaflet from the npm registry, served by Streamlit or inlined.

folium points every map at CDNs (jsDelivr, cdnjs, code.jquery.com); on a machine without
internet such a map stays blank. :func:`install_assets` fetches the pinned packages with
``npm pack`` once, at setup, into the git-ignored ``static/vendor`` folder beside ``app.py``;
Streamlit serves it at ``/app/static/vendor/...`` (``[server] enableStaticServing = true``).
:func:`local_asset_urls` gives those absolute URLs for ``folium.Map.default_js`` /
``default_css``, and :func:`inline_assets` the file contents for a self-contained HTML map.

The maps of :mod:`geo.maps` use Leaflet core only (GeoJSON, image overlay, tooltips, controls),
so folium's other defaults (jQuery, Bootstrap, awesome-markers, Font Awesome, glyphicons) are
dropped rather than vendored.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from geo._errors import OfflineError, OppmapError

__all__ = ['ASSETS', 'VENDOR_DIR', 'STATIC_URL', 'install_assets', 'missing_assets', 'local_asset_urls', 'inline_assets', 'asset_versions']


#: The repository's ``static/vendor`` folder (Streamlit serves ``static/`` beside ``app.py``).
VENDOR_DIR = Path(__file__).resolve().parents[2] / "static" / "vendor"


#: Where Streamlit serves ``static/vendor`` (absolute: a relative URL would resolve against the
#: streamlit-folium component's own URL and fail).
STATIC_URL = "/app/static/vendor"


#: Pinned npm packages: version, the registry's sha512 integrity, and the files to keep
#: (path inside the tarball's ``package/`` folder -> kind: "js", "css" or "file").
ASSETS: dict[str, dict] = {
    "leaflet": {
        "version": "1.9.4",
        "integrity": (
            "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
        ),
        "license": "BSD-2-Clause",
        "files": {
            "dist/leaflet.js": "js",
            "dist/leaflet.css": "css",
            "dist/images/layers.png": "file",
            "dist/images/layers-2x.png": "file",
            "dist/images/marker-icon.png": "file",
            "dist/images/marker-icon-2x.png": "file",
            "dist/images/marker-shadow.png": "file",
            "LICENSE": "file",
        },
    },
}


def _package_dir(dest: Path, name: str) -> Path:
    return dest / f"{name}-{ASSETS[name]['version']}"


def _target(dest: Path, name: str, member: str) -> Path:
    # keep the dist/ layout flat: dist/leaflet.js -> leaflet-1.9.4/leaflet.js, images/ kept
    rel = member.removeprefix("dist/")
    return _package_dir(dest, name) / rel


def missing_assets(dest: Path | str | None = None) -> list[Path]:
    """List the vendored files that are not installed yet.

    Parameters
    ----------
    dest
        The vendor folder; default :data:`VENDOR_DIR`.

    Returns
    -------
    list of pathlib.Path
        Missing files (empty when everything is in place).

    Examples
    --------
    >>> isinstance(missing_assets(), list)
    True
    """
    dest = Path(dest) if dest is not None else VENDOR_DIR
    out: list[Path] = []
    for name, spec in ASSETS.items():
        out.extend(p for m in spec["files"] if not (p := _target(dest, name, m)).is_file())
        stamp = _package_dir(dest, name) / ".integrity"
        if not stamp.is_file() or stamp.read_text().strip() != spec["integrity"]:
            out.append(stamp)
    return out


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _npm_pack(name: str, version: str, workdir: Path, npm: str) -> Path:
    exe = shutil.which(npm)
    if exe is None:
        msg = (
            f"`npm` ({npm!r}) was not found on PATH, so the map assets ({name}@{version}) cannot be "
            "fetched. Install Node.js and npm (e.g. `apt-get install npm`), or copy "
            f"{name}@{version}'s dist/ files into {VENDOR_DIR}/{name}-{version}/ by hand."
        )
        raise OppmapError(msg)
    cmd = [exe, "pack", f"{name}@{version}", "--json", "--pack-destination", str(workdir)]
    try:
        run = subprocess.run(
            cmd, capture_output=True, text=True, timeout=300, cwd=workdir, check=False
        )
    except subprocess.TimeoutExpired as exc:
        msg = (
            f"`npm pack {name}@{version}` did not finish in 300 s: the npm registry seems "
            "unreachable. Check the network or the npm proxy settings (`npm config get registry`), "
            "then run `python -m geo assets` again."
        )
        raise OfflineError(msg) from exc
    if run.returncode != 0:
        tail = (run.stderr or run.stdout).strip().splitlines()[-3:]
        msg = (
            f"`npm pack {name}@{version}` failed (exit {run.returncode}): {' | '.join(tail)}. "
            "The npm registry may be unreachable (offline?) or the npm cache broken; check "
            "`npm ping`, then run `python -m geo assets` again."
        )
        raise OfflineError(msg)
    tarballs = sorted(workdir.glob("*.tgz"))
    if not tarballs:
        msg = f"`npm pack {name}@{version}` reported success but wrote no tarball in {workdir}."
        raise OfflineError(msg)
    return tarballs[0]


def install_assets(
    dest: Path | str | None = None, *, npm: str = "npm", force: bool = False
) -> list[Path]:
    """Fetch the pinned map assets from the npm registry into ``dest`` (idempotent).

    Each package is fetched with ``npm pack <name>@<version>``, its tarball checked against the
    pinned sha512 integrity, and only the files listed in :data:`ASSETS` are extracted, into a
    temporary folder that is then renamed into place (a half-finished install never shows).

    Parameters
    ----------
    dest
        The vendor folder; default :data:`VENDOR_DIR` (``static/vendor`` beside ``app.py``),
        which is git-ignored.
    npm
        The npm executable.
    force
        Fetch again even when the files are in place.

    Returns
    -------
    list of pathlib.Path
        The package folders installed by this call (empty when all were already there).

    Raises
    ------
    OppmapError
        npm is not installed.
    OfflineError
        The registry cannot be reached, or the tarball does not match the pinned integrity.

    Examples
    --------
    >>> install_assets()  # doctest: +SKIP
    []
    """
    dest = Path(dest) if dest is not None else VENDOR_DIR
    missing = missing_assets(dest)
    installed = []
    for name, spec in ASSETS.items():
        pkg_dir = _package_dir(dest, name)
        if not force and not any(pkg_dir in p.parents for p in missing):
            continue
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest, prefix=f".{name}-") as tmp_name:
            tmp = Path(tmp_name)
            tarball = _npm_pack(name, spec["version"], tmp, npm)
            data = tarball.read_bytes()
            got = _sri(data)
            if got != spec["integrity"]:
                msg = (
                    f"{name}@{spec['version']} from the npm registry has integrity {got}, "
                    f"expected {spec['integrity']}: refusing to install it. Check the npm "
                    "registry setting (`npm config get registry`)."
                )
                raise OfflineError(msg)
            staging = tmp / "staging"
            with tarfile.open(tarball, "r:gz") as tar:
                for member, _kind in spec["files"].items():
                    info = tar.getmember(f"package/{member}")
                    fobj = tar.extractfile(info)
                    if fobj is None:
                        msg = f"{name}@{spec['version']}: {member} is not a regular file."
                        raise OfflineError(msg)
                    target = staging / member.removeprefix("dist/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(fobj.read())
            (staging / ".integrity").write_text(spec["integrity"] + "\n")
            if pkg_dir.exists():
                shutil.rmtree(pkg_dir)
            os.replace(staging, pkg_dir)
        installed.append(pkg_dir)
    return installed


def local_asset_urls(*, base_url: str = STATIC_URL) -> dict[str, list[tuple[str, str]]]:
    """Absolute URLs of the vendored JS and CSS, in folium's ``default_js`` format.

    Parameters
    ----------
    base_url
        Where the vendor folder is served; default ``/app/static/vendor`` (Streamlit).

    Returns
    -------
    dict
        ``{"js": [(name, url), ...], "css": [(name, url), ...]}``.

    Examples
    --------
    >>> local_asset_urls()["js"]
    [('leaflet', '/app/static/vendor/leaflet-1.9.4/leaflet.js')]
    """
    if not base_url.startswith(("/", "http://", "https://", "file:")):
        msg = (
            f"`base_url` must be absolute (start with '/' or a scheme); got {base_url!r}. A "
            "relative URL resolves against the streamlit-folium component's URL and fails."
        )
        raise OppmapError(msg)
    base_url = base_url.rstrip("/")
    out: dict[str, list[tuple[str, str]]] = {"js": [], "css": []}
    for name, spec in ASSETS.items():
        for member, kind in spec["files"].items():
            if kind in out:
                url = f"{base_url}/{name}-{spec['version']}/{member.removeprefix('dist/')}"
                out[kind].append((name if kind == "js" else f"{name}_css", url))
    return out


_CSS_URL = re.compile(r"url\((['\"]?)([^)'\"]+)\1\)")


def inline_assets(dest: Path | str | None = None) -> dict[str, str]:
    """The vendored JS and CSS as text, for a self-contained HTML map.

    Images referenced by the CSS (``url(images/layers.png)``) are embedded as data URIs so the
    HTML works on its own, offline.

    Parameters
    ----------
    dest
        The vendor folder; default :data:`VENDOR_DIR`.

    Returns
    -------
    dict
        ``{"js": "...", "css": "..."}``: the concatenated scripts and style sheets.

    Raises
    ------
    OppmapError
        The assets are not installed (run ``python -m geo assets``).

    Examples
    --------
    >>> sorted(inline_assets())  # doctest: +SKIP
    ['css', 'js']
    """
    dest = Path(dest) if dest is not None else VENDOR_DIR
    missing = missing_assets(dest)
    if missing:
        msg = (
            f"map assets are not installed in {dest} (missing {len(missing)} files, e.g. "
            f"{missing[0]}); run `python -m geo assets` (or `make assets`) once."
        )
        raise OppmapError(msg)
    js, css = [], []
    for name, spec in ASSETS.items():
        for member, kind in spec["files"].items():
            path = _target(dest, name, member)
            if kind == "js":
                js.append(path.read_text(encoding="utf-8"))
            elif kind == "css":
                text = path.read_text(encoding="utf-8")

                def embed(m: re.Match, base: Path = path.parent) -> str:
                    ref = m.group(2)
                    if ref.startswith(("data:", "http:", "https:", "#")):
                        return m.group(0)
                    file = base / ref
                    if not file.is_file():
                        return m.group(0)
                    b64 = base64.b64encode(file.read_bytes()).decode()
                    mime = "image/png" if file.suffix == ".png" else "application/octet-stream"
                    return f"url(data:{mime};base64,{b64})"

                css.append(_CSS_URL.sub(embed, text))
    return {"js": "\n".join(js), "css": "\n".join(css)}


def asset_versions() -> dict[str, dict[str, str]]:
    """The pinned packages, their versions and licences (for the methodology page).

    Examples
    --------
    >>> asset_versions()["leaflet"]["version"]
    '1.9.4'
    """
    return {n: {"version": s["version"], "license": s["license"]} for n, s in ASSETS.items()}
