# Import vpt_mm before any test module imports torchvision, timm or the
# OpenMMLab hosts, so that its CPU compatibility shims are in place.
import vpt_mm.modules  # noqa: F401  (patches, then registration)
