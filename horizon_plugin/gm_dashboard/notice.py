"""The pending-share notice in Horizon's top bar (a header section, which
Horizon loads on every page): how many shares wait for the project's
decision, linked to Shared with me."""

import logging

from django.views import generic

from gm_dashboard import api
from gm_dashboard import sharing_api

LOG = logging.getLogger(__name__)


class PendingNotice(generic.TemplateView):
    template_name = 'gm_dashboard/_pending_notice.html'

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['pending'] = 0
        if not self.request.user.is_authenticated:
            return context  # the sign-in page has a header too
        try:
            if sharing_api.available(self.request):
                # One small call instead of the whole pending list.
                context['pending'] = sharing_api.counts(
                    self.request).get('pending', 0)
            else:
                context['pending'] = api.pending_count(self.request)
        except Exception as e:  # the notice must never break a page
            LOG.warning('No pending-share count: %s', type(e).__name__)
        return context
