"""PZP: the reference implementation's module name. ``import PZP`` gives exactly
the API of ``import pzp`` (the same objects)."""

from pzp import *  # noqa: F403
from pzp import __all__, __version__  # noqa: F401
