"""Share Image, in the seed's two scenarios: with another customer's
project (it stays pending until they accept) or with one of the user's own
projects (shared and accepted at once)."""

import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from gm_dashboard import api
from gm_dashboard import sharing_api

CUSTOMER = 'customer'
OWN_PROJECT = 'own-project'


class ShareImageForm(forms.SelfHandlingForm):
    image_id = forms.CharField(widget=forms.HiddenInput())
    scenario = forms.ThemableChoiceField(
        label=_("Share with"),
        choices=((CUSTOMER, _("Another customer, by project ID")),
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


# --- /sharing/v1 -------------------------------------------------------------

def _end_of_day(day):
    """A date as the API's end of that day (UTC); None for no expiry."""
    return '%sT23:59:59Z' % day.isoformat() if day else None


class ExpiryForm(forms.SelfHandlingForm):
    image_id = forms.CharField(widget=forms.HiddenInput())
    member_id = forms.CharField(widget=forms.HiddenInput())
    expires_on = forms.DateField(
        label=_("Expires on (UTC)"), required=False,
        widget=forms.DateInput(attrs={'type': 'date'}),
        help_text=_("The share ends at the end of this day. Leave empty "
                    "for a share that does not expire."))

    def handle(self, request, data):
        expires_at = _end_of_day(data.get('expires_on'))
        try:
            sharing_api.set_expiry(request, data['image_id'],
                                   data['member_id'], expires_at)
        except Exception:
            exceptions.handle(request, _("Unable to set the expiry."),
                              redirect=reverse(
                                  'horizon:project:image_sharing:detail',
                                  args=[data['image_id']]))
        if expires_at:
            messages.success(request, _(
                "The share with %(project)s expires on %(day)s.") % {
                'project': data['member_id'],
                'day': data['expires_on'].isoformat()})
        else:
            messages.success(request, _(
                "The share with %s no longer expires.") % data['member_id'])
        return True


class BatchShareForm(forms.SelfHandlingForm):
    images = forms.MultipleChoiceField(
        label=_("Images"), widget=forms.CheckboxSelectMultiple(),
        help_text=_("Private images become shared."))
    projects = forms.CharField(
        label=_("Project IDs"), widget=forms.Textarea(attrs={'rows': 4}),
        help_text=_("One per line, or separated by commas."))
    expires_on = forms.DateField(
        label=_("Expires on (UTC)"), required=False,
        widget=forms.DateInput(attrs={'type': 'date'}))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields['images'].choices = [
            (image.id, image.name or image.id)
            for image in api.own_images(request)]

    def clean_projects(self):
        projects = list(dict.fromkeys(
            p for p in re.split(r'[\s,;]+', self.cleaned_data['projects'])
            if p))
        if not projects:
            raise forms.ValidationError(_("Enter at least one project ID."))
        return projects

    def handle(self, request, data):
        try:
            for image in api.own_images(request):
                if image.id in data['images'] and \
                        image.visibility != 'shared':
                    api.make_shareable(request, image.id)
            results = sharing_api.share_batch(
                request, data['images'], data['projects'],
                _end_of_day(data.get('expires_on')))
        except Exception:
            exceptions.handle(request, _("Unable to share the images."))
            return False
        created = sum(1 for r in results if r.get('result') == 'created')
        messages.success(request, _(
            "%(created)d new shares, %(existing)d already there: every "
            "project stays Pending Acceptance until it accepts.") % {
            'created': created, 'existing': len(results) - created})
        return True
