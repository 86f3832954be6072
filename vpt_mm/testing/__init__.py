"""Generated toy data sets for the tests and the smoke configs.

The writers use OpenCV and NumPy only (no host library), so importing this
package applies no compatibility patch.
"""
from .toy_ade20k import write_toy_ade20k
from .toy_fgvc import write_toy_fgvc

__all__ = ['write_toy_fgvc', 'write_toy_ade20k']
