"""Project > Compute > Shared with me: the consumer's images from other
projects."""

from django.utils.translation import gettext_lazy as _
import horizon


class SharedWithMe(horizon.Panel):
    name = _("Shared with me")
    slug = 'shared_with_me'
    permissions = ('openstack.services.image',)
    policy_rules = (("image", "get_images"),)
