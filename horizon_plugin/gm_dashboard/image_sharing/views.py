"""The producer's pages: its images, one image's sharing, Share Image."""

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import tables
from horizon.utils import memoized

from gm_dashboard import api
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


class DetailView(tables.DataTableView):
    table_class = sharing_tables.MembersTable
    template_name = 'gm_dashboard/image_sharing/detail.html'
    page_title = _("Image Sharing: {{ image.name }}")

    @memoized.memoized_method
    def get_image(self):
        try:
            return api.get_image(self.request, self.kwargs['image_id'])
        except Exception:
            exceptions.handle(self.request, _("Unable to find the image."),
                              redirect=reverse(INDEX_URL))

    def get_data(self):
        image = self.get_image()
        if image.get('visibility') != 'shared':
            return []  # Glance keeps no members for other visibilities
        try:
            return api.image_members(self.request, image['id'])
        except Exception:
            exceptions.handle(self.request,
                              _("Unable to list the image's members."))
            return []

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
