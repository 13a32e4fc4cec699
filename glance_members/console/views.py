"""The console's pages: parse the form, call the image API, render (GET) or
flash and redirect (POST: post-redirect-get)."""

import flask

from glance_members.console import client
from glance_members.console import listing
from glance_members.console import regions
from glance_members.console import sharing_forms

blp = flask.Blueprint('views', __name__)

ALL_REGIONS = 'All regions'
FILTERS = {'size': listing.human_size, 'when': listing.short_time,
           'member_status': listing.member_status_label}
# Keys of an image that are not user properties (Glance's base schema).
BASE_KEYS = frozenset((
    'id', 'name', 'status', 'visibility', 'owner', 'size', 'virtual_size',
    'disk_format', 'container_format', 'checksum', 'os_hash_algo',
    'os_hash_value', 'min_ram', 'min_disk', 'protected', 'os_hidden',
    'created_at', 'updated_at', 'tags', 'self', 'file', 'schema',
    'locations', 'direct_url', 'stores'))
LEAVE_HELP = ('If you leave an image and want it later, ask the producer '
              'to share it with you again.')
REJECTED_HELP = ('You can still accept it under Rejected in Images shared '
                 'with you, until the producer removes your project.')


# --- what every view needs ------------------------------------------------

def _console():
    return flask.current_app.extensions['glance_members_console']


def _session():
    return flask.g.session


def all_regions():
    console = _console()
    return regions.resolve(console.conf, _session().data.get('endpoints'),
                           console.local)


def api_for(region):
    endpoint = all_regions().get(region)
    if endpoint is None:
        flask.abort(404, 'There is no region named %s.' % region)
    return _console().api(_session().data['token'], endpoint,
                          flask.request.environ.get('openstack.request_id'),
                          _session().data.get('sharing_endpoints',
                                              {}).get(region))


def project_id():
    return _session().data['project_id']


def project_names():
    """Names of the projects the user can act for: the only ones Keystone
    tells a non-admin user."""
    return {p['id']: p['name'] for p in _session().data.get('projects', [])}


def back_to(endpoint, **values):
    """Where a POST's redirect goes, on success or on an API refusal."""
    flask.g.back = flask.url_for(endpoint, **values)
    return flask.g.back


def done(message, category='status'):
    _session().flash(message, category)
    return flask.redirect(flask.g.back)


@blp.app_context_processor
def page_globals():
    session = flask.g.get('session')
    if session is None:
        return {}
    return {'user': session.data, 'csrf_token': session.csrf_token,
            'flashes': session.pop_flashes(), 'regions': all_regions(),
            'ALL_REGIONS': ALL_REGIONS,
            'sharing_anywhere': _sharing_anywhere()}


def _sharing_anywhere():
    """Show the extension's pages in the menu? (Discovery is cached.)"""
    for region in all_regions():
        try:
            if _console().sharing_available(api_for(region)):
                return True
        except client.APIError:
            continue  # an unreachable region offers nothing
    return False


# --- images ----------------------------------------------------------------

@blp.get('/')
def index():
    return flask.redirect(flask.url_for('views.images'))


def _selected_regions():
    selected = flask.request.args.get('region') or ALL_REGIONS
    known = all_regions()
    if selected == ALL_REGIONS:
        return selected, known
    if selected not in known:
        flask.abort(404, 'There is no region named %s.' % selected)
    return selected, {selected: known[selected]}


@blp.get('/images')
def images():
    selected, chosen = _selected_regions()
    rows, pending = [], []

    def list_region(region, api):
        names = dict(project_names())
        if _console().sharing_available(api):
            # The accepted shares name their producers; the counts come
            # with them.
            accepted, counts = api.inbox('accepted')
            names.update(listing.producer_names(accepted))
            pending.append(counts.get('pending', 0))
        else:
            pending.append(len(_pending_v2(api, '')))
        rows.extend(listing.image_rows(
            api.list_images(), region, project_id(), names,
            _image_link_prefix(region)))

    unreachable = each_region(chosen, list_region)
    page = listing.page_of(rows, flask.request.args.get('page', 1, type=int))
    return flask.render_template('images.html', page=page,
                                 pending=sum(pending), selected=selected,
                                 unreachable=unreachable)


def region_down(error):
    """An answer that says nothing about the request: no connection, or
    a gateway's or server's 5xx."""
    return isinstance(error, client.Unreachable) or (
        error.status is not None and error.status >= 500)


def each_region(chosen, work):
    """work(region, api) for each region; the regions that could not be
    reached (their part left out, the others' kept), in order."""
    unreachable = []
    for region in chosen:
        try:
            work(region, api_for(region))
        except client.APIError as e:
            if not region_down(e):
                raise
            unreachable.append(region)
    return unreachable


def _image_link_prefix(region):
    """An image page's URL but its id: url_for once per region, not once
    per row (it was a third of a 1,000-row page's time)."""
    return flask.url_for('views.image', region=region, image_id='-')[:-1]


def _pending_v2(api, region):
    return listing.pending_from_images(
        api.list_images(member_status='pending', visibility='shared'),
        region, project_id(), project_names())


@blp.get('/review')
def review():
    selected, chosen = _selected_regions()
    shares, rejected = [], []

    def list_region(region, api):
        if _console().sharing_available(api):
            shares.extend(listing.pending_from_inbox(
                api.inbox('pending')[0], region, project_names()))
            rejected.extend(listing.pending_from_inbox(
                api.inbox('rejected')[0], region, project_names()))
        else:
            shares.extend(_pending_v2(api, region))
            # The API lets a consumer accept a share it rejected (as
            # Glance does): the console offers it too.
            rejected.extend(listing.pending_from_images(
                api.list_images(member_status='rejected',
                                visibility='shared'),
                region, project_id(), project_names()))

    unreachable = each_region(chosen, list_region)
    return flask.render_template('review.html', shares=shares,
                                 rejected=rejected, selected=selected,
                                 unreachable=unreachable)


@blp.post('/review')
def decide():
    form = flask.request.form
    back_to('views.images', region=form.get('region') or None)
    if form.get('accept'):
        status, keys = 'accepted', [form['accept']]
    elif form.get('reject'):
        status, keys = 'rejected', [form['reject']]
    elif form.get('bulk') in ('accepted', 'rejected'):
        status, keys = form['bulk'], form.getlist('share')
    else:
        flask.abort(400, 'Choose Accept or Reject.')
    if not keys:
        back_to('views.review', region=form.get('region') or None)
        return done('Select the images to decide on first.', 'error')
    by_region = {}
    for key in keys:
        region, image_id = listing.split_key(key)
        by_region.setdefault(region, []).append(image_id)

    def decide_region(region, api):
        if _console().sharing_available(api):
            api.decide(status, by_region[region])
        else:
            for image_id in by_region[region]:
                api.update_member_status(image_id, project_id(), status)

    unreachable = each_region(by_region, decide_region)
    decided = len(keys) - sum(len(by_region[r]) for r in unreachable)
    for region in unreachable:
        back_to('views.review', region=form.get('region') or None)
        _session().flash(
            'Region %s cannot be reached: its %s not %s; try again later.'
            % (region, listing.count_of(len(by_region[region]), 'image')
               + (' was' if len(by_region[region]) == 1 else ' were'),
               status), 'error')
    if not decided:
        return flask.redirect(flask.g.back)
    return done('%s %s.' % (listing.count_of(decided, 'image'), status))


# --- one image ---------------------------------------------------------------

@blp.get('/regions/<region>/images/<image_id>')
def image(region, image_id):
    api = api_for(region)
    found = api.get_image(image_id)
    sharing = _console().sharing_available(api)
    mine = found.get('owner') == project_id()
    members, membership = [], None
    if mine and found.get('visibility') == 'shared':
        members = sharing_forms.member_rows(
            api, image_id, sharing, project_names())
    elif not mine:
        membership = _membership(api, image_id)
    properties = sorted((k, v) for k, v in found.items()
                        if k not in BASE_KEYS)
    return flask.render_template(
        'image.html', region=region, image=found, mine=mine,
        members=members, membership=membership, sharing=sharing,
        properties=properties, leave_help=LEAVE_HELP,
        rejected_help=REJECTED_HELP,
        own_projects=[p for p in _session().data.get('projects', [])
                      if p['id'] != project_id()],
        kind=_console().signer.kind)


def _membership(api, image_id):
    try:
        return api.get_member(image_id, project_id())
    except client.APIError as e:
        if e.status in (403, 404):
            return None  # public or community: nobody shared it
        raise


@blp.post('/regions/<region>/images/<image_id>/share')
def share(region, image_id):
    """Share Image; another customer's project id is first shown with
    its name (whose project it is) and sent only once confirmed."""
    back_to('views.image', region=region, image_id=image_id)
    form, api = flask.request.form, api_for(region)
    if form.get('scenario') == sharing_forms.CUSTOMER and \
            not form.get('confirmed'):
        recipient = sharing_forms.whose_project(_console(), api, form)
        return flask.render_template(
            'confirm_share.html', region=region,
            image=api.get_image(image_id), recipient=recipient)
    message = sharing_forms.share(_console(), _session(), api, region,
                                  image_id, form)
    return done(message)


@blp.post('/regions/<region>/images/<image_id>/members/'
          '<anyid:member_id>/remove')
def remove_member(region, image_id, member_id):
    back_to('views.image', region=region, image_id=image_id)
    api = api_for(region)
    if '/' in member_id and _console().sharing_available(api):
        # No /v2 route (nor Glance's) matches an id holding a '/' once
        # decoded; the batch revoke takes the id in its body.
        api.revoke_batch([image_id], [member_id])
    else:
        api.delete_member(image_id, member_id)
    return done('Project %s was removed from this image.' % member_id)


@blp.post('/regions/<region>/images/<image_id>/members/'
          '<anyid:member_id>/expiry')
def set_expiry(region, image_id, member_id):
    back_to('views.image', region=region, image_id=image_id)
    expires_at = sharing_forms.expiry_value(
        flask.request.form.get('expires_on'))
    api_for(region).set_member_expiry(image_id, member_id, expires_at)
    return done('The share with %s %s.' % (
        member_id, 'expires on %s' % expires_at[:10] if expires_at
        else 'no longer expires'))


@blp.post('/regions/<region>/images/<image_id>/visibility')
def make_shareable(region, image_id):
    back_to('views.image', region=region, image_id=image_id)
    api_for(region).update_visibility(image_id, 'shared')
    return done('This image can now be shared.')


@blp.post('/regions/<region>/images/<image_id>/decision')
def decide_image(region, image_id):
    """Accept or reject one image shared with the caller; Remove Image is
    a rejection after accepting (the seed's wording)."""
    back_to('views.image', region=region, image_id=image_id)
    status = flask.request.form.get('status')
    if status not in ('accepted', 'rejected'):
        flask.abort(400, 'Choose Accept or Reject.')
    api_for(region).update_member_status(image_id, project_id(), status)
    if status == 'rejected':
        back_to('views.images', region=region)
        return done('The image was removed from your list. ' +
                    REJECTED_HELP)
    return done('The image was accepted: it is in your list of images.')


@blp.post('/regions/<region>/images/<image_id>/leave')
def leave(region, image_id):
    back_to('views.image', region=region, image_id=image_id)
    api_for(region).leave(image_id)
    back_to('views.images', region=region)
    return done('You left this share. ' + LEAVE_HELP)


@blp.get('/regions/<region>/images/<image_id>/history')
def history(region, image_id):
    api = api_for(region)
    _require_sharing(api)
    return flask.render_template(
        'history.html', region=region, image=api.get_image(image_id),
        entries=api.image_history(image_id))


# --- the extension's pages -------------------------------------------------

def _require_sharing(api):
    if not _console().sharing_available(api):
        flask.abort(404, 'This image service does not offer this feature.')


def _sharing_region():
    """The region a batch or trust page works on: the one asked for, else
    the first whose endpoint serves /sharing."""
    asked = flask.request.values.get('region')
    if asked:
        api = api_for(asked)
        _require_sharing(api)
        return asked, api
    for region in all_regions():
        api = api_for(region)
        try:
            if _console().sharing_available(api):
                return region, api
        except client.APIError as e:
            if not region_down(e):
                raise
    flask.abort(404, 'This image service does not offer this feature.')


@blp.get('/batch')
def batch():
    region, api = _sharing_region()
    owned = [i for i in api.list_images(owner=project_id())
             if i.get('visibility') == 'shared']
    return flask.render_template('batch.html', region=region, owned=owned)


@blp.post('/batch')
def batch_post():
    region, api = _sharing_region()
    back_to('views.batch', region=region)
    form = flask.request.form
    image_ids = form.getlist('image')
    member_ids = sharing_forms.project_list(form.get('projects', ''))
    if not image_ids or not member_ids:
        return done('Choose at least one image and one project.', 'error')
    if form.get('action') == 'revoke':
        results = api.revoke_batch(image_ids, member_ids)
    else:
        results = api.share_batch(image_ids, member_ids,
                                  sharing_forms.expiry_value(
                                      form.get('expires_on')))
    return done(sharing_forms.batch_summary(results))


@blp.get('/trusted-producers')
def trusted_producers():
    region, api = _sharing_region()
    return flask.render_template('trusted.html', region=region,
                                 trusts=api.trusted_producers())


@blp.post('/trusted-producers')
def trust_producer():
    region, api = _sharing_region()
    back_to('views.trusted_producers', region=region)
    producer = flask.request.form.get('project_id', '').strip()
    if not producer:
        return done('Enter the project id of the producer.', 'error')
    added = api.trust_producer(producer,
                               flask.request.form.get('accept_pending'))
    accepted = len(added.get('accepted') or [])
    return done('Shares from %s now arrive accepted%s.' % (
        added.get('project_name') or producer,
        '; %s accepted' % (listing.count_of(accepted, 'pending share') +
                           (' was' if accepted == 1 else ' were'))
        if accepted else ''))


@blp.post('/trusted-producers/<anyid:producer>/remove')
def distrust_producer(producer):
    region, api = _sharing_region()
    back_to('views.trusted_producers', region=region)
    api.distrust_producer(producer)
    return done('Shares from %s will wait for your decision again.'
                % producer)


# --- errors ---------------------------------------------------------------

def error_page(status, message):
    return flask.render_template('error.html', status=status,
                                 message=message), status


def api_error(error):
    """The API's refusal, in its own words: flashed on the page a form
    came from, or the page of a GET."""
    if flask.request.method == 'POST' and flask.g.get('back') and \
            flask.g.get('session') is not None:
        return done(error.message, 'error')
    return error_page(error.status or 502, error.message)


def http_error(error):
    return error_page(error.code, error.description if error.code < 500
                      else 'The request could not be served.')
