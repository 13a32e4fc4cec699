"""Image sharing in Horizon: Glance image members, with glance-members'
/sharing/v1 where the image endpoint serves it."""
