"""``wengert explore``: an interactive explorer of derivatives in the browser, computed by wengert on a local server."""

from .server import EXAMPLES, ExplorerServer, api_network, api_sweep, serve

__all__ = ["EXAMPLES", "ExplorerServer", "api_network", "api_sweep", "serve"]
