"""glance-members: the OpenStack Image API v2 image-sharing service."""
