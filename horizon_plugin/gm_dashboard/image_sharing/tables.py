"""The producer's tables: its images, and each image's members."""

from django.template import defaultfilters
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables
from horizon.utils import filters

from gm_dashboard import api
from gm_dashboard import sharing_api
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


class ShareInBatch(tables.LinkAction):
    name = 'batch'
    verbose_name = _("Share in Batch")
    url = 'horizon:project:image_sharing:batch'
    classes = ('ajax-modal',)
    icon = 'share-alt'
    policy_rules = (("image", "add_member"),)

    def allowed(self, request, datum=None):
        return sharing_api.available(request)


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
        table_actions = (ShareInBatch,)
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
    # The name where Keystone tells it, else the id.
    project = tables.Column(_member_name, verbose_name=_("Project"))
    status = tables.Column(_member_status, verbose_name=_("Status"))
    updated = tables.Column('updated_at', verbose_name=_("Since"),
                            filters=(filters.parse_isotime,))

    def get_object_display(self, datum):
        return datum.name or datum.id

    class Meta(object):
        name = 'members'
        verbose_name = _("Image Sharing")
        table_actions = (ShareImage, RemoveMember)
        row_actions = (RemoveMember,)


# --- /sharing/v1: expiry, history, batch -----------------------------------

class SetExpiry(tables.LinkAction):
    name = 'expiry'
    verbose_name = _("Set Expiry")
    url = 'horizon:project:image_sharing:expiry'
    classes = ('ajax-modal',)
    icon = 'clock-o'
    policy_rules = (("image", "add_member"),)

    def get_link_url(self, datum=None):
        return reverse(self.url, args=[self.table.kwargs['image_id'],
                                       datum.id])


class ExtendedMembersTable(MembersTable):
    """The Image Sharing table where /sharing/v1 adds each share's expiry."""
    expires = tables.Column('expires_at', verbose_name=_("Expires"),
                            empty_value=_("Never"))

    class Meta(object):
        name = 'members'
        verbose_name = _("Image Sharing")
        table_actions = (ShareImage, RemoveMember)
        row_actions = (SetExpiry, RemoveMember)


EVENT_LABELS = {'created': _("Shared"), 'status_changed': _("Decision"),
                'removed': _("Removed"), 'left': _("Left"),
                'expired': _("Expired"),
                'auto_accepted': _("Accepted (trusted producer)"),
                'expiry_changed': _("Expiry changed")}


def _change(entry):
    def state(value):
        if not value:
            return '-'
        text = shared_tables.STATUS_LABELS.get(value.get('status'),
                                               value.get('status'))
        if value.get('expires_at'):
            text = '%s (%s %s)' % (text, _("expires"), value['expires_at'])
        return text
    return '%s → %s' % (state(entry.get('before')),
                        state(entry.get('after')))


def _event(entry):
    return EVENT_LABELS.get(entry.get('event'), entry.get('event'))


def _actor(entry):
    actor = entry.get('actor') or {}
    return actor.get('user_id') or actor.get('project_id') or ''


class HistoryTable(tables.DataTable):
    when = tables.Column(lambda e: e.get('created_at'),
                         verbose_name=_("When"),
                         filters=(filters.parse_isotime,))
    project = tables.Column(lambda e: e.get('member_id'),
                            verbose_name=_("Project ID"))
    event = tables.Column(_event, verbose_name=_("Event"))
    change = tables.Column(_change, verbose_name=_("Change"))
    actor = tables.Column(_actor, verbose_name=_("By (user ID)"))

    def get_object_id(self, datum):
        return str(datum['id'])

    class Meta(object):
        name = 'history'
        verbose_name = _("Sharing History")
