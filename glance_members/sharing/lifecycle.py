"""The life of a membership, stated once: its statuses, how it arrives,
when it is live, how it is revived, when it is over quota.

Pure functions of plain values (no I/O, no Flask, no peewee): the rule
modules call them, and the storage adapters call them inside their
transactions, under their locks, so that a rule holds while requests race
and is still written only here.
"""

# A new member waits for the consumer, and so does a removed member added
# again: Glance revives it as pending, whatever it said before.
NEW_MEMBER_STATUS = 'pending'
# A list that names no member_status shows, of the images shared with the
# caller, only those it accepted (Glance's default).
DEFAULT_LIST_MEMBER_STATUS = 'accepted'
