"""Constants for the openbl602 plug integration."""

from typing import Final

DOMAIN: Final = "openbl602_plug"
