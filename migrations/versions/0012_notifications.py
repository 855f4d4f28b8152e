"""notifications keep their event; partner admins may follow the company's orders

A notification was stored as English (or the recipient's language at the time) HTML, escaped, cut at 300
characters. It now keeps its template and parameters (plain values) and is rendered when shown, in the
reader's language. Existing rows: the portal's own events (the demo welcome, order placed, order status,
returns) get their template and parameters back from the orders they are about; every other row keeps
its text, unescaped (it was stored escaped and showed "&#34;").

``users.follows_company_orders``: a partner admin who follows gets every order notice of the company.

Revision ID: 0012_notifications
Revises: 0011
"""
import html
import re

import sqlalchemy as sa
from alembic import op

revision = '0012_notifications'
down_revision = '0011'
branch_labels = None
depends_on = None

notifications = sa.table(
    'notifications', sa.column('id', sa.Integer), sa.column('event_key', sa.String),
    sa.column('message', sa.String), sa.column('template', sa.String), sa.column('params', sa.JSON))
orders = sa.table(
    'orders', sa.column('id', sa.Integer), sa.column('number', sa.String), sa.column('po_number', sa.String),
    sa.column('status', sa.String), sa.column('currency', sa.String), sa.column('total_cents', sa.BigInteger),
    sa.column('carrier', sa.String), sa.column('tracking_number', sa.String))
order_events = sa.table(
    'order_events', sa.column('id', sa.Integer), sa.column('order_id', sa.Integer),
    sa.column('actor_id', sa.Integer), sa.column('from_status', sa.String), sa.column('to_status', sa.String),
    sa.column('note', sa.String))
returns = sa.table(
    'return_requests', sa.column('id', sa.Integer), sa.column('order_id', sa.Integer),
    sa.column('number', sa.String), sa.column('reason', sa.String), sa.column('decision_note', sa.String))
credits = sa.table(
    'credits', sa.column('return_id', sa.Integer), sa.column('number', sa.String),
    sa.column('total_cents', sa.BigInteger))

ORDER_KEY = re.compile(r'^order-(submitted|status):(\d+)(?::(\w+))?$')
RETURN_KEY = re.compile(r'^(?:order-return:(\d+):(accepted|declined)|return-requested:(\d+))$')


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
    # A plain ADD COLUMN with a constant default, never a batch "move and copy" of users: on SQLite (foreign
    # keys on) dropping the old users table would cascade to every row that references a user.
    op.add_column('users', sa.Column('follows_company_orders', sa.Boolean(), nullable=False, server_default='0'))
    bind = op.get_bind()
    rows = bind.execute(sa.select(notifications.c.id, notifications.c.event_key, notifications.c.message).where(
        sa.or_(notifications.c.event_key == 'demo-welcome', notifications.c.event_key.like('order-%'),
               notifications.c.event_key.like('return-requested:%'), notifications.c.message.like('%&%')))).all()
    for row_id, key, message in rows:
        template, params = _event(bind, key)
        values = {'template': template, 'params': params} if template else {'message': html.unescape(message)}
        bind.execute(notifications.update().where(notifications.c.id == row_id).values(**values))


def _event(bind, key):
    """(template, params) of one of the portal's own event keys, or (None, None)."""
    if key == 'demo-welcome':
        return 'welcome', {}
    if match := ORDER_KEY.match(key):
        kind, order_id, status = match.group(1), int(match.group(2)), match.group(3)
        order = _order(bind, order_id)
        if order is None or (kind == 'status' and not status):
            return None, None
        if kind == 'submitted':  # approved at once when checkout approved it (the event without an actor)
            auto = bind.execute(sa.select(order_events.c.id).where(
                order_events.c.order_id == order_id, order_events.c.from_status == 'submitted',
                order_events.c.to_status == 'approved', order_events.c.actor_id.is_(None))).first()
            order['status'] = 'approved' if auto else 'submitted'
            return 'order_submitted', {'order': {'$row': order}}
        reason = bind.execute(sa.select(order_events.c.note).where(
            order_events.c.order_id == order_id, order_events.c.to_status == status)
            .order_by(order_events.c.id.desc())).scalar()
        order['status'] = status
        return 'order_status', {'order': {'$row': order}, 'reason': reason or ''}
    if match := RETURN_KEY.match(key):
        return_id = int(match.group(1) or match.group(3))
        request = bind.execute(sa.select(returns).where(returns.c.id == return_id)).mappings().first()
        order = _order(bind, request['order_id']) if request else None
        if order is None:
            return None, None
        params = {'order': {'$row': order}, 'return_request': {'$row': {'number': request['number']}}}
        if match.group(3):
            return 'order_status', {**params, 'event': 'return_requested', 'reason': request['reason']}
        if match.group(2) == 'declined':
            return 'order_status', {**params, 'event': 'return_declined', 'reason': request['decision_note']}
        credit = bind.execute(sa.select(credits.c.number, credits.c.total_cents)
                              .where(credits.c.return_id == return_id)).first()
        if credit is None:
            return None, None
        return 'order_status', {**params, 'event': 'return_accepted', 'credit': credit[0],
                                'credit_total_cents': credit[1], 'reason': ''}
    return None, None


def _order(bind, order_id):
    row = bind.execute(sa.select(orders).where(orders.c.id == order_id)).mappings().first()
    return dict(row) if row is not None else None


def downgrade():
    op.drop_column('users', 'follows_company_orders')  # native DROP COLUMN (SQLite 3.35+), see upgrade()
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('template')
