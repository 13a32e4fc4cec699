"""Share Image, in the seed's two scenarios: with another customer's
project (it stays pending until they accept) or with one of the user's own
projects (shared and accepted at once)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from gm_dashboard import api

CUSTOMER = 'customer'
OWN_PROJECT = 'own-project'


class ShareImageForm(forms.SelfHandlingForm):
    image_id = forms.CharField(widget=forms.HiddenInput())
    scenario = forms.ThemableChoiceField(
        label=_("Share with"),
        choices=((CUSTOMER, _("Another customer's project")),
                 (OWN_PROJECT, _("One of your projects"))),
        widget=forms.ThemableSelectWidget(attrs={
            'class': 'switchable', 'data-slug': 'scenario'}))
    project_id = forms.CharField(
        label=_("Project ID"), required=False, max_length=255,
        help_text=_("The other customer's project ID. The image stays "
                    "Pending Acceptance until they accept it."),
        widget=forms.TextInput(attrs={
            'class': 'switched', 'data-switch-on': 'scenario',
            'data-scenario-%s' % CUSTOMER: _("Project ID")}))
    own_project = forms.ThemableChoiceField(
        label=_("Your project"), required=False,
        help_text=_("The image is shared and accepted at once: it appears "
                    "in that project's list of images."),
        widget=forms.ThemableSelectWidget(attrs={
            'class': 'switched', 'data-switch-on': 'scenario',
            'data-scenario-%s' % OWN_PROJECT: _("Your project")}))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields['own_project'].choices = [('', _("Choose a project"))] + [
            (p.id, p.name) for p in sorted(
                request.user.authorized_tenants, key=lambda p: p.name)
            if p.id != request.user.project_id]

    def clean(self):
        data = super().clean()
        if data.get('scenario') == OWN_PROJECT:
            if not data.get('own_project'):
                self.add_error('own_project', _("Choose one of your other "
                                                "projects."))
            data['member_id'] = data.get('own_project')
            return data
        member_id = (data.get('project_id') or '').strip()
        if not member_id:
            self.add_error('project_id', _("Enter the project ID to share "
                                           "with."))
        elif member_id == self.request.user.project_id:
            self.add_error('project_id', _("This is your own project."))
        elif not api.project_exists(self.request, member_id):
            self.add_error('project_id', _("Keystone has no project with "
                                           "this ID."))
        data['member_id'] = member_id
        return data

    def handle(self, request, data):
        image_id, member_id = data['image_id'], data['member_id']
        redirect = reverse('horizon:project:image_sharing:detail',
                           args=[image_id])
        try:
            if api.get_image(request, image_id).get('visibility') != \
                    'shared':
                api.make_shareable(request, image_id)
            api.add_member(request, image_id, member_id)
            if data['scenario'] == OWN_PROJECT:
                api.accept_as(request, image_id, member_id)
                messages.success(request, _(
                    "The image was shared with your project %s and accepted: "
                    "it is in that project's list of images.")
                    % api.project_names(request, [member_id]).get(
                        member_id, member_id))
            else:
                messages.success(request, _(
                    "The image was shared with project %s: Pending "
                    "Acceptance until they accept it.") % member_id)
        except Exception:
            exceptions.handle(request, _("Unable to share the image."),
                              redirect=redirect)
        return True
