"""The identities every test speaks as: fixed tokens, fixed projects.

Roles are listed the way Keystone lists them in a token (implied included).
"""

PRODUCER_PROJECT = 'a1f5b2c3d4e5f60718293a4b5c6d7e8f'
CONSUMER_PROJECT = 'b2a5b2c3d4e5f60718293a4b5c6d7e8f'
CONSUMER2_PROJECT = 'c3a5b2c3d4e5f60718293a4b5c6d7e8f'
OUTSIDER_PROJECT = 'd4a5b2c3d4e5f60718293a4b5c6d7e8f'
ADMIN_PROJECT = 'e5a5b2c3d4e5f60718293a4b5c6d7e8f'

# name -> (token, identity)
PERSONAS = {
    'producer': ('tok-producer', {
        'user_id': 'u-producer', 'project_id': PRODUCER_PROJECT,
        'roles': ['member', 'reader']}),
    'producer_reader': ('tok-producer-reader', {
        'user_id': 'u-producer-reader', 'project_id': PRODUCER_PROJECT,
        'roles': ['reader']}),
    'consumer': ('tok-consumer', {
        'user_id': 'u-consumer', 'project_id': CONSUMER_PROJECT,
        'roles': ['member', 'reader']}),
    'consumer_colleague': ('tok-consumer-colleague', {
        'user_id': 'u-consumer-colleague', 'project_id': CONSUMER_PROJECT,
        'roles': ['member', 'reader']}),
    'consumer_reader': ('tok-consumer-reader', {
        'user_id': 'u-consumer-reader', 'project_id': CONSUMER_PROJECT,
        'roles': ['reader']}),
    'consumer2': ('tok-consumer2', {
        'user_id': 'u-consumer2', 'project_id': CONSUMER2_PROJECT,
        'roles': ['member', 'reader']}),
    'outsider': ('tok-outsider', {
        'user_id': 'u-outsider', 'project_id': OUTSIDER_PROJECT,
        'roles': ['member', 'reader']}),
    'member_only': ('tok-member-only', {
        'user_id': 'u-member-only', 'project_id': CONSUMER_PROJECT,
        'roles': ['member']}),
    'admin': ('tok-admin', {
        'user_id': 'u-admin', 'project_id': ADMIN_PROJECT,
        'roles': ['admin', 'member', 'reader']}),
    'system_admin': ('tok-system-admin', {
        'user_id': 'u-system-admin', 'system': 'all',
        'roles': ['admin', 'member', 'reader']}),
}


def token(name):
    return PERSONAS[name][0]


def token_file_document():
    return {tok: identity for tok, identity in PERSONAS.values()}
