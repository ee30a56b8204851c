"""The openbl602 plug integration: BL602 smart plugs running openbl602_plug firmware."""
