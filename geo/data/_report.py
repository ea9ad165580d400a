"""The build report as text: what ``python -m geo data build`` prints when it finishes.

One line per level (rows by country, islands joined), per dataset (rows read and joined,
unmatched and absent codes, suppressed values, councils carried to successors), per graph and per
derived table. The full report is ``report.json`` in the store.
"""

from __future__ import annotations

from typing import Any

from geo._errors import format_codes

__all__ = ["format_report"]


def format_report(report: dict[str, Any]) -> str:
    """A readable summary of a build report, one line per dataset."""
    if report.get("skipped"):
        return f"store is up to date: {report.get('store')}"
    store = report.get("store")
    lines = [f"store built in {report.get('seconds', '?')} s" + (f": {store}" if store else "")]
    lines.append("levels:")
    for level, info in report.get("levels", {}).items():
        if "rows" in info:
            countries = ", ".join(f"{k} {v}" for k, v in info.get("by_country", {}).items())
            isl = info.get("islands", [])
            lines.append(f"  {level:15s} {info['rows']:>6} ({countries})"
                         + (f"; islands joined: {len(isl)}" if isl else ""))
    lines += _geography_lines(report)
    lines.append("datasets: rows read -> joined; unmatched; absent; suppressed")
    for ident, info in report.get("datasets", {}).items():
        if "not_joined" in info:
            lines.append(f"  {ident:28s} {info.get('rows_read', '?'):>6} read; not joined: {info['not_joined']}")
        if "rows_joined" not in info:
            continue
        sup = sum(sum(v.values()) for v in info.get("suppressed", {}).values())
        absent = info.get("absent_codes", [])
        absent_txt = f"{len(absent)} absent" + (f" ({format_codes(absent, limit=3)})" if absent else "")
        lines.append(
            f"  {ident:28s} {info.get('rows_read', '?'):>6} -> {info['rows_joined']:>6}; "
            f"{len(info.get('unmatched_codes', []))} unmatched; {absent_txt}; {sup} suppressed"
        )
        for s in info.get("successors", []):
            lines.append(f"      {s['from']} {s['name']} carried to {', '.join(s['to'])}")
    for name, info in report.get("graphs", {}).items():
        lines.append(f"graph {name}: {info['nodes']} nodes, {info['links']} links, "
                     f"islands joined: {format_codes(info['islands_joined'], limit=6) or 'none'}")
    for name, info in report.get("derived", {}).items():
        lines.append(f"derived {name}: {info}")
    return "\n".join(lines)


def _geography_lines(report: dict[str, Any]) -> list[str]:
    """How data zones reached councils, and how LSOA 2011 tables reached LSOA 2021."""
    lines = []
    fit = report.get("levels", {}).get("dz11_councils")
    if fit:
        zones = [z["dz11_code"] for z in fit["straddling"]]
        lines.append(f"  data zones -> {fit['councils']} councils by {fit['method']}; "
                     f"{len(zones)} straddle (>= {fit['straddle_share']:.0%} in a second "
                     f"council): {format_codes(zones, limit=4) or 'none'}")
    for ident, info in report.get("datasets", {}).items():
        carry = info.get("carried_to_lsoa21")
        if carry:
            rules = ", ".join(f"{k} {v}" for k, v in sorted(carry["by_rule"].items()))
            lines.append(f"  {ident} carried from LSOA 2011 to {carry['lsoa21_rows']} LSOA 2021 "
                         f"({rules}; {len(carry['lsoa21_without_value'])} without a value)")
    return lines
