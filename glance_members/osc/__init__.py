"""The `openstack image share ...` commands: a python-openstackclient
plugin for the /sharing/v1 API (installed with glance-members[osc])."""
