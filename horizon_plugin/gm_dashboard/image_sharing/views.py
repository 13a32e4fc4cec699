"""The producer's pages: its images, one image's sharing, Share Image."""

from django import http
from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import tables
from horizon.utils import memoized

from gm_dashboard import api
from gm_dashboard import sharing_api
from gm_dashboard.image_sharing import forms as sharing_forms
from gm_dashboard.image_sharing import tables as sharing_tables

INDEX_URL = 'horizon:project:image_sharing:index'


class IndexView(tables.DataTableView):
    table_class = sharing_tables.OwnImagesTable
    template_name = 'gm_dashboard/image_sharing/index.html'
    page_title = _("Image Sharing")

    def get_data(self):
        try:
            return api.own_images(self.request)
        except Exception:
            exceptions.handle(self.request,
                              _("Unable to list your project's images."))
            return []


class DetailView(tables.MultiTableView):
    """One image's Image Sharing table; where the image endpoint serves
    /sharing/v1, with each share's expiry and the image's history."""
    template_name = 'gm_dashboard/image_sharing/detail.html'
    page_title = _("Image Sharing: {{ image.name }}")

    # All of them here (Horizon finds the data methods at __init__); the
    # stock table alone where the endpoint is stock Glance.
    table_classes = (sharing_tables.ExtendedMembersTable,
                     sharing_tables.HistoryTable)

    def get_tables(self):
        if not self.sharing():
            self.table_classes = (sharing_tables.MembersTable,)
        return super().get_tables()

    @memoized.memoized_method
    def sharing(self):
        return sharing_api.available(self.request)

    @memoized.memoized_method
    def history(self):
        try:
            return sharing_api.image_history(self.request,
                                             self.kwargs['image_id'])
        except Exception:
            exceptions.handle(self.request,
                              _("Unable to read the image's history."))
            return []

    @memoized.memoized_method
    def get_image(self):
        try:
            return api.get_image(self.request, self.kwargs['image_id'])
        except Exception:
            exceptions.handle(self.request, _("Unable to find the image."),
                              redirect=reverse(INDEX_URL))

    def get_members_data(self):
        image = self.get_image()
        if image.get('visibility') != 'shared':
            return []  # Glance keeps no members for other visibilities
        try:
            members = api.image_members(self.request, image['id'])
        except Exception:
            exceptions.handle(self.request,
                              _("Unable to list the image's members."))
            return []
        if self.sharing():
            # A share's expiry is its newest history entry's (newest first).
            expiries = {}
            for entry in self.history():
                expiries.setdefault(entry['member_id'], (
                    entry.get('after') or {}).get('expires_at'))
            for member in members:
                member.expires_at = expiries.get(member.id)
        return members

    def get_history_data(self):
        return self.history()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['image'] = self.get_image()
        return context


class ShareView(forms.ModalFormView):
    form_class = sharing_forms.ShareImageForm
    template_name = 'gm_dashboard/image_sharing/share.html'
    modal_id = 'share_image_modal'
    form_id = 'share_image_form'
    modal_header = _("Share Image")
    submit_label = _("Share Image")
    submit_url = 'horizon:project:image_sharing:share'
    page_title = _("Share Image")
    success_url = reverse_lazy(INDEX_URL)

    def get_success_url(self):
        return reverse('horizon:project:image_sharing:detail',
                       args=[self.kwargs['image_id']])

    def get_initial(self):
        return {'image_id': self.kwargs['image_id']}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = reverse(self.submit_url,
                                        args=[self.kwargs['image_id']])
        context['cancel_url'] = self.get_success_url()
        return context


class _SharingOnly:
    """Views of what only /sharing/v1 offers: 404 elsewhere."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and \
                not sharing_api.available(request):
            raise http.Http404()
        return super().dispatch(request, *args, **kwargs)


class ExpiryView(_SharingOnly, forms.ModalFormView):
    form_class = sharing_forms.ExpiryForm
    template_name = 'gm_dashboard/image_sharing/expiry.html'
    modal_id = 'set_expiry_modal'
    form_id = 'set_expiry_form'
    modal_header = _("Set Expiry")
    submit_label = _("Set Expiry")
    submit_url = 'horizon:project:image_sharing:expiry'
    page_title = _("Set Expiry")

    def get_success_url(self):
        return reverse('horizon:project:image_sharing:detail',
                       args=[self.kwargs['image_id']])

    def get_initial(self):
        return {'image_id': self.kwargs['image_id'],
                'member_id': self.kwargs['member_id']}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = reverse(self.submit_url, args=[
            self.kwargs['image_id'], self.kwargs['member_id']])
        context['cancel_url'] = self.get_success_url()
        return context


class BatchView(_SharingOnly, forms.ModalFormView):
    form_class = sharing_forms.BatchShareForm
    template_name = 'gm_dashboard/image_sharing/batch.html'
    modal_id = 'share_batch_modal'
    form_id = 'share_batch_form'
    modal_header = _("Share in Batch")
    submit_label = _("Share")
    submit_url = reverse_lazy('horizon:project:image_sharing:batch')
    success_url = reverse_lazy(INDEX_URL)
    page_title = _("Share in Batch")
