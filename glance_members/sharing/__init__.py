"""The /sharing/v1 extension's rules, one module per concern; like
glance_members.sharing, they import neither flask nor peewee."""
