"""URLs of the DRS service (read by moto's BaseBackend.urls / flask_paths)."""

from .responses import DrsResponse

url_bases = [
    r"https?://drs\.(.+)\.amazonaws\.com",
]

url_paths = {
    "{0}/.*$": DrsResponse.dispatch,
}
