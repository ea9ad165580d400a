"""The ``python -m geo`` command line: argparse and printing only; analysis lives in the library."""

from geo.cli.parser import build_parser, main

__all__ = ["main", "build_parser"]
