"""Trust Producer: shares from a project arrive accepted (glance-members'
/sharing/v1)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from gm_dashboard import sharing_api


class TrustProducerForm(forms.SelfHandlingForm):
    project_id = forms.CharField(
        label=_("Producer's project ID"), max_length=255,
        help_text=_("Images this project shares with yours will arrive "
                    "accepted, without waiting for your decision."))
    accept_pending = forms.BooleanField(
        label=_("Also accept the images it already shared with you"),
        required=False)

    def handle(self, request, data):
        producer = data['project_id'].strip()
        try:
            added = sharing_api.trust(request, producer,
                                      data['accept_pending'])
        except Exception:
            exceptions.handle(request, _("Unable to trust the producer."),
                              redirect=reverse(
                                  'horizon:project:shared_with_me:index'))
        accepted = len((added or {}).get('accepted') or [])
        messages.success(request, _(
            "Shares from %(producer)s now arrive accepted "
            "(%(accepted)d pending shares accepted).") % {
            'producer': producer, 'accepted': accepted})
        return True
