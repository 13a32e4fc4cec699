"""Image rules: Glance 33's names, defaults, methods and paths."""

from oslo_policy import policy

from glance_members.policy import base

ADD_IMAGE = 'add_image'
GET_IMAGE = 'get_image'
GET_IMAGES = 'get_images'
MODIFY_IMAGE = 'modify_image'
DELETE_IMAGE = 'delete_image'
PUBLICIZE_IMAGE = 'publicize_image'
COMMUNITIZE_IMAGE = 'communitize_image'
DOWNLOAD_IMAGE = 'download_image'
UPLOAD_IMAGE = 'upload_image'
DEACTIVATE = 'deactivate'
REACTIVATE = 'reactivate'


def _rule(name, check_str, description, method, path):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, scope_types=['project'],
        description=description,
        operations=[{'path': path, 'method': method}])


rules = [
    _rule(ADD_IMAGE, base.ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE,
          'Create new image', 'POST', '/v2/images'),
    _rule(DELETE_IMAGE, base.ADMIN_OR_PROJECT_MEMBER,
          'Deletes the image', 'DELETE', '/v2/images/{image_id}'),
    _rule(GET_IMAGE, base.ADMIN_OR_PROJECT_READER_GET_IMAGE,
          'Get specified image', 'GET', '/v2/images/{image_id}'),
    _rule(GET_IMAGES, base.ADMIN_OR_PROJECT_READER,
          'Get all available images', 'GET', '/v2/images'),
    _rule(MODIFY_IMAGE, base.ADMIN_OR_PROJECT_MEMBER,
          'Updates given image', 'PATCH', '/v2/images/{image_id}'),
    _rule(PUBLICIZE_IMAGE, base.ADMIN,
          'Publicize given image', 'PATCH', '/v2/images/{image_id}'),
    _rule(COMMUNITIZE_IMAGE, base.ADMIN_OR_PROJECT_MEMBER,
          'Communitize given image', 'PATCH', '/v2/images/{image_id}'),
    _rule(DOWNLOAD_IMAGE, base.ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE,
          'Downloads given image', 'GET', '/v2/images/{image_id}/file'),
    _rule(UPLOAD_IMAGE, base.ADMIN_OR_PROJECT_MEMBER,
          'Uploads data to specified image', 'PUT',
          '/v2/images/{image_id}/file'),
    _rule(DEACTIVATE, base.ADMIN_OR_PROJECT_MEMBER,
          'Deactivate image', 'POST',
          '/v2/images/{image_id}/actions/deactivate'),
    _rule(REACTIVATE, base.ADMIN_OR_PROJECT_MEMBER,
          'Reactivate image', 'POST',
          '/v2/images/{image_id}/actions/reactivate'),
]


def list_rules():
    return rules
