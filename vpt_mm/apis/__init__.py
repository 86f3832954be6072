"""What the tools call: runner building, the common command-line options.

Importing it applies the CPU compatibility patches first, so a tool may
import the hosts after it.
"""
from .. import compat

compat.apply()
