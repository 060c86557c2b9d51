"""A seeded sample of mutmut's mutant names over theory/ and sim/ (docs/mutation.md).

Run after ``mutmut run`` has generated ``mutants/`` (its ``*.py.meta`` files list every mutant):
``python docs/mutation_sample.py --size 150 --seed 20261207`` prints one name per line, sorted, for
``mutmut run $(python docs/mutation_sample.py ...)``.  The sample is drawn without replacement, uniformly over all
mutants of all modules, from ``numpy.random.SeedSequence(seed)``, so the same seed and the same mutants give the same
names on any machine.
"""

import argparse
import json
from pathlib import Path

import numpy as np


def mutant_names(root: Path) -> list[str]:
    """Every mutant name mutmut generated under ``root`` (``mutants/``), sorted."""
    names: list[str] = []
    for meta in sorted(root.glob("*/*.py.meta")):
        names.extend(json.loads(meta.read_text())["exit_code_by_key"])
    return sorted(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    args = parser.parse_args()
    names = mutant_names(args.mutants)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    picked = rng.choice(len(names), size=args.size, replace=False)
    print("\n".join(sorted(names[i] for i in picked)))


if __name__ == "__main__":
    main()
