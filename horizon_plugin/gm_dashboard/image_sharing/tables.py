"""The producer's tables: its images, and each image's members."""

from django.template import defaultfilters
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from gm_dashboard import api
from gm_dashboard.shared_with_me import tables as shared_tables

VISIBILITY_LABELS = {'private': _("Private"), 'shared': _("Shared"),
                     'public': _("Public"), 'community': _("Community")}


class ShareImage(tables.LinkAction):
    name = 'share'
    verbose_name = _("Share Image")
    url = 'horizon:project:image_sharing:share'
    classes = ('ajax-modal',)
    icon = 'share-alt'
    policy_rules = (("image", "add_member"),)

    def get_link_url(self, datum=None):
        image_id = datum.id if datum is not None else \
            self.table.kwargs['image_id']
        return reverse(self.url, args=[image_id])


def _detail_url(image):
    return reverse('horizon:project:image_sharing:detail', args=[image.id])


def _visibility(image):
    return VISIBILITY_LABELS.get(image.visibility, image.visibility)


class OwnImagesTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_("Image Name"),
                                 link=_detail_url)
    visibility = tables.Column(_visibility, verbose_name=_("Visibility"))
    status = tables.Column('status', verbose_name=_("Status"))
    size = tables.Column('size', verbose_name=_("Size"),
                         filters=(defaultfilters.filesizeformat,),
                         attrs={'data-type': 'size'})

    def get_object_display(self, datum):
        return datum.name or datum.id

    class Meta(object):
        name = 'own_images'
        verbose_name = _("Your Project's Images")
        row_actions = (ShareImage,)


class RemoveMember(tables.DeleteAction):
    """The producer stops sharing with one project (to share again after a
    rejection: remove, then share again)."""
    name = 'remove_member'
    policy_rules = (("image", "delete_member"),)
    help_text = _("The project loses the image at once, whatever its "
                  "decision was.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Remove Member", "Remove Members", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Removed Member", "Removed Members", count)

    def delete(self, request, obj_id):
        api.delete_member(request, self.table.kwargs['image_id'], obj_id)


def _member_name(member):
    return member.name or member.id


def _member_status(member):
    return shared_tables.STATUS_LABELS.get(member.status, member.status)


class MembersTable(tables.DataTable):
    project = tables.Column(_member_name, verbose_name=_("Project"))
    project_id = tables.Column('id', verbose_name=_("Project ID"))
    status = tables.Column(_member_status, verbose_name=_("Status"))
    updated = tables.Column('updated_at', verbose_name=_("Since"))

    def get_object_display(self, datum):
        return datum.name or datum.id

    class Meta(object):
        name = 'members'
        verbose_name = _("Image Sharing")
        table_actions = (ShareImage, RemoveMember)
        row_actions = (RemoveMember,)
