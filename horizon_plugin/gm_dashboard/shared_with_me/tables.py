"""The consumer's tables: pending, accepted and rejected shares, with the
decisions each status allows (Glance lets a consumer accept a rejected
share, and reject an accepted one, which is the seed's Remove Image)."""

from django.template import defaultfilters
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables
from horizon.utils import filters

from gm_dashboard import api
from gm_dashboard import sharing_api

STATUS_LABELS = {'pending': _("Pending Acceptance"),
                 'accepted': _("Accepted"), 'rejected': _("Rejected")}


class _Decide(tables.BatchAction):
    """Set the caller's project's member status on one or many images."""
    status = None
    policy_rules = (("image", "modify_member"),)

    def get_policy_target(self, request, datum=None):
        # Glance's rule: a member of the project whose decision it is.
        return {'member_id': request.user.project_id}

    def action(self, request, obj_id):
        api.decide(request, obj_id, self.status)


class Accept(_Decide):
    name = 'accept'
    status = 'accepted'
    icon = 'check'
    help_text = _("Accepted images appear in your project's list of images "
                  "for every user of the project.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Accept Image", "Accept Images", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Accepted Image", "Accepted Images", count)


class Reject(_Decide):
    name = 'reject'
    status = 'rejected'
    icon = 'times'
    action_type = 'danger'
    help_text = _("Rejected images stay out of your list of images; you can "
                  "still accept them later from the Rejected tab.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Reject Image", "Reject Images", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Rejected Image", "Rejected Images", count)


class RemoveImage(Reject):
    """The seed's Remove Image: a rejection after accepting."""
    name = 'remove'
    icon = 'trash'
    help_text = _("If you remove an image and decide later that you want it, "
                  "accept it again from the Rejected tab while the producer "
                  "still shares it.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Remove Image", "Remove Images", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Removed Image", "Removed Images", count)


class DecideLater(tables.LinkAction):
    """Leave the shares pending: the notice stays until a decision."""
    name = 'later'
    verbose_name = _("Decide Later")
    icon = 'clock-o'

    def get_link_url(self, datum=None):
        return reverse('horizon:project:images:index')


def _producer(share):
    return share.owner_name or share.owner


def _status(share):
    return STATUS_LABELS.get(share.member_status, share.member_status)


class _SharesTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_("Image Name"))
    producer = tables.Column(_producer, verbose_name=_("Shared by"))
    size = tables.Column('size', verbose_name=_("Size"),
                         filters=(defaultfilters.filesizeformat,),
                         attrs={'data-type': 'size'})
    created = tables.Column('created_at', verbose_name=_("Created"),
                            filters=(filters.parse_isotime,))
    status = tables.Column(_status, verbose_name=_("Your Decision"))

    def get_object_display(self, datum):
        return datum.name or datum.id


class PendingTable(_SharesTable):
    class Meta(object):
        name = 'pending'
        verbose_name = _("Pending Acceptance")
        table_actions = (Accept, Reject, DecideLater)
        row_actions = (Accept, Reject)


class AcceptedTable(_SharesTable):
    class Meta(object):
        name = 'accepted'
        verbose_name = _("Accepted")
        table_actions = (RemoveImage,)
        row_actions = (RemoveImage,)


class RejectedTable(_SharesTable):
    class Meta(object):
        name = 'rejected'
        verbose_name = _("Rejected")
        table_actions = (Accept,)
        row_actions = (Accept,)


# --- trusted producers (where the image endpoint serves /sharing/v1) -------

class TrustProducer(tables.LinkAction):
    name = 'trust'
    verbose_name = _("Trust Producer")
    url = 'horizon:project:shared_with_me:trust'
    classes = ('ajax-modal',)
    icon = 'plus'
    policy_rules = (("image", "modify_member"),)

    def get_policy_target(self, request, datum=None):
        return {'member_id': request.user.project_id}


class StopTrusting(tables.DeleteAction):
    name = 'distrust'
    policy_rules = (("image", "modify_member"),)
    help_text = _("Images this project shares with you will wait for your "
                  "decision again.")

    @staticmethod
    def action_present(count):
        return ngettext_lazy("Stop Trusting", "Stop Trusting", count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy("Stopped Trusting", "Stopped Trusting", count)

    def get_policy_target(self, request, datum=None):
        return {'member_id': request.user.project_id}

    def delete(self, request, obj_id):
        sharing_api.distrust(request, obj_id)


class TrustedTable(tables.DataTable):
    # The name where Keystone tells it, else the id.
    project = tables.Column(_producer, verbose_name=_("Producer"))
    since = tables.Column('created_at', verbose_name=_("Trusted since"),
                          filters=(filters.parse_isotime,))

    def get_object_id(self, datum):
        return datum.owner

    def get_object_display(self, datum):
        return _producer(datum)

    class Meta(object):
        name = 'trusted'
        verbose_name = _("Trusted Producers")
        table_actions = (TrustProducer, StopTrusting)
        row_actions = (StopTrusting,)
