"""The producer's forms: Share Image in the seed's two scenarios, the
Image Sharing table's rows, batch and expiry inputs."""

import dataclasses
import datetime
import re

from glance_members.console import client
from glance_members.console import identity

# The Share Image dialog's scenarios (the seed's two; the first in two
# ways).
CUSTOMER = 'customer'          # another customer's project id: pending
OWN_PROJECT = 'own-project'    # one of your projects: shared and accepted
OTHER_ACCOUNT = 'other-account'  # credentials typed once: same
_SEPARATORS = re.compile(r'[\s,;]+')


class FormError(client.APIError):
    """A form the console refuses before any call (shown as the API's)."""

    def __init__(self, message):
        super().__init__(400, message)


@dataclasses.dataclass
class MemberRow:
    member_id: str
    project_name: str  # '' when Keystone does not tell it
    status: str
    since: str
    expires_at: str


def member_rows(api, image_id, sharing, project_names):
    """The Image Sharing table: the members with their expiry and names
    where /sharing serves them, else /v2's members."""
    found = api.image_members(image_id) if sharing else \
        api.list_members(image_id)
    return [MemberRow(m['member_id'],
                      m.get('member_name') or
                      project_names.get(m['member_id'], ''),
                      m['status'], m.get('updated_at', ''),
                      m.get('expires_at') or '')
            for m in found]


@dataclasses.dataclass
class Recipient:
    """Whose project an id is, as the image service tells it."""
    project_id: str
    name: str  # '' when not told
    known: bool  # False: the service could not tell (stock API, down)


def whose_project(console, api, form):
    """The customer form's project before anything is sent: its name;
    FormError when the service knows no such project."""
    member_id = form.get('project_id', '').strip()
    if not member_id:
        raise FormError('Enter the project id to share with.')
    if not console.sharing_available(api):
        return Recipient(member_id, '', False)
    try:
        found = api.show_project(member_id)
    except client.APIError as e:
        if e.status == 404:
            # The API's words; an id no route can hold (a '/') gets its
            # generic 404, so the id is named here.
            said = e.message if member_id in e.message else \
                'No project has the id %s.' % member_id
            raise FormError('%s Nothing was shared: check the id.' % said)
        if e.status == 401:
            raise
        return Recipient(member_id, '', False)  # not allowed, or down
    return Recipient(member_id, found.get('name') or '', True)


def share(console, session, api, region, image_id, form):
    """Share `image_id` as the form says; the flash message."""
    scenario = form.get('scenario')
    if scenario == CUSTOMER:
        member_id = form.get('project_id', '').strip()
        if not member_id:
            raise FormError('Enter the project id to share with.')
        api.add_member(image_id, member_id)
        name = form.get('project_name')
        return ('The image was shared with project %s: Pending Acceptance '
                'until they accept it.' % ('%s (%s)' % (name, member_id)
                                           if name else member_id))
    # The other project's token first: wrong credentials write nothing.
    if scenario == OWN_PROJECT:
        scoped = _own_project(console, session, form.get('own_project', ''))
    elif scenario == OTHER_ACCOUNT:
        scoped = _other_account(console, form)
    else:
        raise FormError('Choose how to share the image.')
    try:
        api.add_member(image_id, scoped.project_id)
        console.api(scoped.token, api.endpoint, api.request_id,
                    api.sharing_endpoint).update_member_status(
            image_id, scoped.project_id, 'accepted')
    finally:
        console.signer.revoke(scoped.token)
    return ('The image was shared with project %s and accepted: it is in '
            'their list of images.' % (scoped.project_name
                                       or scoped.project_id))


def _own_project(console, session, project_id):
    projects = {p['id'] for p in session.data.get('projects', [])}
    if project_id not in projects or project_id == session.data[
            'project_id'] or 'unscoped_token' not in session.data:
        raise FormError('Choose one of your other projects.')
    try:
        return console.signer.scope(session.data['unscoped_token'],
                                    project_id)
    except identity.SignInError as e:
        raise FormError(str(e))


def _other_account(console, form):
    """The other account's token from credentials typed once (Keystone)
    or its token (static tokens); neither is stored anywhere."""
    signer = console.signer
    try:
        if signer.kind == 'keystone':
            fields = [form.get(k, '').strip() for k in (
                'other_user', 'other_password', 'other_domain',
                'other_project')]
            if not all(fields):
                raise FormError('Enter the user name, password, domain '
                                'and project of the other account.')
            return signer.password_scoped(*fields)
        return signer.scoped(form.get('other_token', '').strip())
    except identity.SignInError as e:
        raise FormError('The other account could not sign in: %s' % e)


def project_list(text):
    """Project ids typed one per line (or separated by commas)."""
    return list(dict.fromkeys(p for p in _SEPARATORS.split(text or '') if p))


def expiry_value(day):
    """A date input's 'YYYY-MM-DD' as the API's end of that day (UTC);
    empty means no expiry."""
    if not day:
        return None
    try:
        date = datetime.date.fromisoformat(day.strip())
    except ValueError:
        raise FormError('Give the expiry date as YYYY-MM-DD.')
    return '%sT23:59:59Z' % date.isoformat()


def batch_summary(results):
    counts = {}
    for result in results:
        counts[result['result']] = counts.get(result['result'], 0) + 1
    return 'Done: %s.' % ', '.join('%d %s' % (n, kind)
                                   for kind, n in sorted(counts.items()))
