"""What the tools call: runner building and the common command-line options
(:mod:`.runner`), building a config's model outside a runner
(:mod:`.model`), the image check of a config's datasets
(:mod:`.check_dataset`) and the demo's real data (:mod:`.demo_data`).

Importing it applies the CPU compatibility patches first, so a tool may
import the hosts after it.
"""
from .. import compat

compat.apply()
