"""Package layout: actors/, bus/ and contracts/ install as subpackages of actorflow.

They are top-level folders in the repository but ``actorflow.actors`` and so on once
installed, so an embedding service never gets top-level modules called ``bus``. Their
subpackages are found here rather than listed by hand, so a new one cannot be forgotten.
"""

from pathlib import Path

from setuptools import setup

ROOTS = {"actorflow": "actorflow", "actorflow.actors": "actors", "actorflow.bus": "bus",
         "actorflow.contracts": "contracts"}  # fmt: skip


def discover() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    here = Path(__file__).parent
    for name, folder in ROOTS.items():
        package_dir[name] = folder
        for init in sorted((here / folder).rglob("__init__.py")):
            relative = init.parent.relative_to(here / folder)
            parts = [p for p in relative.parts if p]
            if any(not p.isidentifier() for p in parts):
                continue
            packages.append(".".join([name, *parts]))
    return packages, package_dir


packages, package_dir = discover()
setup(packages=packages, package_dir=package_dir)
