"""The command-line convention shared by every ``python -m geo`` command.

Every command follows the same rules, and takes them from here:

* **Bad input exits 2 with one line.** Command handlers raise :class:`~geo._errors.InputError`
  (any :class:`~geo._errors.OppmapError`); :func:`geo.cli.parser.main` prints ``error: ...`` and
  returns 2. Argument errors found by argparse take the same form (:class:`ArgumentParser`).
  Nothing is written before the inputs are checked, and writers are atomic, so a refusal leaves
  no output file behind.
* **Unknown names get "did you mean".** :func:`did_you_mean` checks an indicator id, council
  code or level against the valid ones and, when it is not one, raises an InputError naming the
  closest few (rapidfuzz), never the whole list. :func:`choice` is the same as an argparse
  ``type=`` for short fixed lists (levels, statistics).
* **Outputs.** :func:`add_out_argument` adds ``--out`` (its help lists the suffixes) and
  :func:`add_force` adds ``--force``; :func:`check_output` then refuses, before any work: a
  suffix not in the list, a folder, an existing file without ``--force``, and a missing parent
  folder (the rule everywhere: refused with the ``mkdir -p`` that fixes it, never created, since
  a missing folder in a path someone typed is usually a typo).
* **Writers** use :mod:`geo.export` (atomic, LF line endings, the attribution README
  ``<file>.README.txt`` beside the file, metadata from :func:`geo.export.metadata.export_metadata`)
  and then call :func:`report_written`, which prints ``wrote PATH`` on stdout for the file and
  its README.
* **Help names every default**: :class:`HelpFormatter` appends ``(default: X)`` to an option's
  help unless the text already says ``default`` (write it out when the default is ``None``,
  e.g. "default: the stored run").
* :func:`package_version` gives ``python -m geo --version`` from ``pyproject.toml`` (or the
  installed package's metadata) without importing the library.

A new command module registers with ``register_cli(subparsers)``, builds each sub-parser with
``subparsers.add_parser(...)`` (it inherits :class:`ArgumentParser` and :class:`HelpFormatter`),
and follows the pattern::

    out = check_output(args.out, force=args.force, suffixes=(".csv",))
    code = did_you_mean(args.council, councils, what="a LAD 2024 code", option="--council")
    ...compute with the library...
    to_csv_safe(table, out, metadata=export_metadata(datasets, level=level))
    report_written(out)
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import NoReturn, TextIO

from geo._errors import InputError

__all__ = [
    "ArgumentParser",
    "HelpFormatter",
    "add_out_argument",
    "add_force",
    "check_output",
    "did_you_mean",
    "choice",
    "place",
    "report_written",
    "package_version",
]


REPO = Path(__file__).resolve().parents[2]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help that names every option's default (and keeps descriptions as written)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            "default" in text.lower()
            or not action.option_strings
            or action.required
            or action.default in (None, argparse.SUPPRESS)
            or isinstance(action.default, bool)
        ):
            return action.help
        return f"{text} (default: %(default)s)"


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (``error: ...``) and exit status 2."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Print ``error: <command>: <message>`` and the way to help, then exit with status 2."""
        self.exit(2, f"error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def add_out_argument(
    parser: argparse.ArgumentParser,
    *,
    suffixes: Iterable[str],
    required: bool = True,
    help: str | None = None,
) -> None:
    """Add ``--out PATH`` whose help lists the accepted suffixes.

    Parameters
    ----------
    parser
        The command's parser.
    suffixes
        File suffixes the command writes, e.g. ``(".csv", ".geojson")``.
    required
        Whether ``--out`` must be given (otherwise the default is to print, say so in ``help``).
    help
        What the file holds; the suffixes are added.
    """
    listed = ", ".join(suffixes)
    need = "required; " if required else ""
    text = f"{help or 'output file'} ({listed}); {need}an existing file needs --force"
    parser.add_argument("--out", metavar="PATH", required=required, help=text)


def add_force(parser: argparse.ArgumentParser) -> None:
    """Add ``--force``: replace an existing output file (refused without it)."""
    parser.add_argument("--force", action="store_true",
                        help="replace the output file (and its README) if it exists (default: refuse "
                        "to replace an existing file)")


def check_output(
    path: str | os.PathLike,
    *,
    force: bool = False,
    suffixes: Iterable[str] | None = None,
    option: str = "--out",
) -> Path:
    """Check an output path before any work is done; return it as a Path.

    Parameters
    ----------
    path
        The path given on the command line.
    force
        Whether an existing file may be replaced (``--force``).
    suffixes
        Accepted suffixes (case-insensitive); ``None`` accepts any.
    option
        The option's name, for the message.

    Returns
    -------
    Path
        The path, with ``~`` expanded.

    Raises
    ------
    InputError
        A wrong suffix, a folder, a missing parent folder, or an existing file without ``force``.
    """
    given = str(path)
    out = Path(path).expanduser()
    allowed = [s.lower() for s in suffixes] if suffixes is not None else None
    if allowed is not None and out.suffix.lower() not in allowed:
        msg = f"`{option}` {given!r} must end in one of {allowed}; choose a name like out{allowed[0]}"
        raise InputError(msg)
    if out.is_dir():
        msg = f"`{option}` {given!r} is a folder; give a file name inside it"
        raise InputError(msg)
    if not out.parent.is_dir():
        msg = (f"`{option}` {given!r}: the folder {str(out.parent)!r} does not exist; create it "
               f"first (mkdir -p {str(out.parent)!r}) or choose another path")
        raise InputError(msg)
    if out.exists() and not force:
        msg = f"`{option}` {given!r} exists; add --force to replace it, or choose another name"
        raise InputError(msg)
    return out


def _closest(value: str, labels: Mapping[str, str], limit: int) -> list[str]:
    """The ``limit`` keys closest to ``value``: by the key itself, or by its label (a name)."""
    from rapidfuzz import fuzz, process, utils

    keys = list(labels)
    by_key = process.cdist([value], keys, scorer=fuzz.ratio, processor=utils.default_process)[0]
    score = dict(zip(keys, by_key.tolist(), strict=True))
    named = {k: v for k, v in labels.items() if v != k}
    if named:
        for _, points, key in process.extract(value, named, scorer=fuzz.WRatio, limit=None,
                                              processor=utils.default_process):
            score[key] = max(score[key], points)
    return sorted(keys, key=lambda k: (-score[k], k))[:limit]


def did_you_mean(
    value: object,
    choices: Iterable[str] | Mapping[str, str],
    *,
    what: str,
    option: str | None = None,
    hint: str | None = None,
    limit: int = 3,
) -> str:
    """Return ``value`` as one of ``choices``, or raise an InputError naming the closest few.

    A value that differs only in case or surrounding spaces is accepted and returned as the
    choice is spelled (``e08000003`` -> ``E08000003``).

    Parameters
    ----------
    value
        What the user typed.
    choices
        The valid values, or a mapping of valid value -> label (e.g. code -> name); labels are
        matched too and shown beside the suggestions.
    what
        Completes "``value`` is not ...", e.g. ``"in the catalogue"``, ``"a level"``.
    option
        The option's name (``"--indicator"``), for the message.
    hint
        A last sentence, e.g. how to list every valid value.
    limit
        How many suggestions to give.

    Returns
    -------
    str
        The matching choice.

    Raises
    ------
    InputError
        ``"`--indicator` 'iod2025.imd_scor' is not in the catalogue; did you mean
        iod2025.imd_score, iod2019.imd_score or iod2025.imd_rank? ..."`` (one line).

    Examples
    --------
    >>> did_you_mean(" lad24 ", ["lad24", "lsoa21"], what="a level")
    'lad24'
    """
    labels = dict(choices) if isinstance(choices, Mapping) else {str(c): str(c) for c in choices}
    text = str(value).strip()
    folded = {key.casefold(): key for key in labels}
    if text.casefold() in folded:
        return folded[text.casefold()]
    shown = [k if labels[k] == k else f"{k} ({labels[k]})" for k in _closest(text, labels, limit)]
    who = f"`{option}` {value!r}" if option else repr(value)
    msg = f"{who} is not {what}"
    if shown:
        options = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        msg += f"; did you mean {options}?"
    if hint:
        msg += f" {hint}"
    raise InputError(msg)


def choice(choices: Iterable[str], *, what: str) -> Callable[[str], str]:
    """An argparse ``type=`` that accepts one of ``choices`` (see :func:`did_you_mean`).

    Use it with ``choices=`` too, so that the help lists them::

        parser.add_argument("--level", type=choice(LEVELS, what="a level"), choices=LEVELS)
    """
    valid = list(choices)

    def check(value: str) -> str:
        try:
            return did_you_mean(value, valid, what=what)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return check


def place(value: str) -> str:
    """An argparse ``type=`` for a council or place (``--council``, ``--within``): not blank.

    An empty value (``--within ""``, often an unset shell variable) would otherwise mean
    "no place" and silently run the whole nation.
    """
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "it is empty: give a council code or name (e.g. E08000032 or 'Bradford')")
    return value.strip()


def report_written(*paths: str | os.PathLike, stream: TextIO | None = None) -> None:
    """Print ``wrote PATH`` for each file written (and its README, when there is one).

    Parameters
    ----------
    paths
        The files the command wrote.
    stream
        Where to print (default: standard output).
    """
    from geo.export.metadata import readme_path

    out = stream or sys.stdout
    for path in paths:
        out.write(f"wrote {path}\n")
        readme = readme_path(path)
        if readme.exists():
            out.write(f"wrote {readme}\n")


def package_version() -> str:
    """oppmap's version: ``pyproject.toml`` beside the package, else the installed metadata.

    Reads a small file; imports nothing of the library.
    """
    pyproject = REPO / "pyproject.toml"
    try:
        with pyproject.open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        return importlib_metadata.version("oppmap")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"
