"""Project > Compute > Image Sharing: the producer's images and the
projects each is shared with."""

from django.utils.translation import gettext_lazy as _
import horizon


class ImageSharing(horizon.Panel):
    name = _("Image Sharing")
    slug = 'image_sharing'
    permissions = ('openstack.services.image',)
    policy_rules = (("image", "get_images"),)
