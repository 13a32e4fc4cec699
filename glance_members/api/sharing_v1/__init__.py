"""/sharing/v1: the sharing extension, one blueprint module per resource."""

from glance_members.api.sharing_v1 import history
from glance_members.api.sharing_v1 import inbox
from glance_members.api.sharing_v1 import members
from glance_members.api.sharing_v1 import projects
from glance_members.api.sharing_v1 import shares
from glance_members.api.sharing_v1 import trusted_producers

BLUEPRINTS = (inbox.blp, trusted_producers.blp, shares.blp, members.blp,
              history.blp, projects.blp)
