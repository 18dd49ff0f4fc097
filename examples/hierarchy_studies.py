"""Run the model-hierarchy studies (quantum -> kinetic -> moments -> diffusion).

Usage::

    python examples/hierarchy_studies.py                 # all four studies into ./hierarchy_out
    python examples/hierarchy_studies.py ap --out DIR    # one study
    python examples/hierarchy_studies.py all --quick     # reduced eps lists (seconds)

Each study writes STUDY.csv, STUDY.md (table, measured rates, wall time) and STUDY.png.
Studies: schrodinger-liouville, kinetic-moment-diffusion, moment-diffusion, ap.
"""

import argparse
from pathlib import Path

from spintorque.hierarchy.studies import STUDIES, hierarchy_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", nargs="?", default="all", choices=["all", *sorted(STUDIES)])
    parser.add_argument("--out", type=Path, default=Path("hierarchy_out"))
    parser.add_argument("--quick", action="store_true", help="reduced eps lists")
    args = parser.parse_args()
    hierarchy_command(args.study, args.out, quick=args.quick)


if __name__ == "__main__":
    main()
