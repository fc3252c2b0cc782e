"""camgate: the authorization gateway of a cloud IP-camera platform."""

__version__ = "0.1.0"
