"""One renderer per demo outlet, keyed by the outlet id of its content file."""

from scrapers.demo.outlets.ganga_times import GangaTimes
from scrapers.demo.outlets.himalaya_post import HimalayaPost
from scrapers.demo.outlets.indus_chronicle import IndusChronicle
from scrapers.demo.outlets.padma_herald import PadmaHerald

RENDERERS = {
    "indus-chronicle": IndusChronicle,
    "ganga-times": GangaTimes,
    "padma-herald": PadmaHerald,
    "himalaya-post": HimalayaPost,
}
