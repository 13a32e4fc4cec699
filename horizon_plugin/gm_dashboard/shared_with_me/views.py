"""The Shared with me page, and Trust Producer."""

from django import http
from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import tabs

from gm_dashboard import sharing_api
from gm_dashboard.shared_with_me import forms as shared_forms
from gm_dashboard.shared_with_me import tabs as shared_tabs

INDEX_URL = 'horizon:project:shared_with_me:index'


class IndexView(tabs.TabbedTableView):
    tab_group_class = shared_tabs.SharedWithMeTabs
    template_name = 'gm_dashboard/shared_with_me/index.html'
    page_title = _("Shared with me")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # /sharing/v1 counts every status in one call; stock Glance would
        # need a full list of each.
        try:
            if sharing_api.available(self.request):
                context['counts'] = sharing_api.counts(self.request)
        except sharing_api.SharingError:
            pass  # the tables say what the image service refuses
        return context


class TrustView(forms.ModalFormView):
    form_class = shared_forms.TrustProducerForm
    template_name = 'gm_dashboard/shared_with_me/trust.html'
    modal_id = 'trust_producer_modal'
    form_id = 'trust_producer_form'
    modal_header = _("Trust Producer")
    submit_label = _("Trust Producer")
    submit_url = reverse_lazy('horizon:project:shared_with_me:trust')
    page_title = _("Trust Producer")

    def get_success_url(self):
        return reverse(INDEX_URL) + '?tab=shared__trusted'

    def dispatch(self, request, *args, **kwargs):
        # Only where the image endpoint serves /sharing/v1.
        if request.user.is_authenticated and \
                not sharing_api.available(request):
            raise http.Http404()
        return super().dispatch(request, *args, **kwargs)
