"""The creditguard add-on in a real Tryton: a hold refuses sale confirmation, only the connector sets it."""
import datetime as dt
import json
from decimal import Decimal

import pytest

from creditguard.connector.erp.tryton.rpc import TrytonClient
from creditguard.mappings.errors import ErpRefused

REASON = 'Invoice INV/7 is 95 days overdue (rule extension.exceeded)'


def hold(connector, party, reason=REASON):
    connector.write('party.party', [party], {'creditguard_hold': True, 'creditguard_hold_reason': reason,
        'creditguard_hold_rule': 'extension.exceeded', 'creditguard_hold_since': dt.datetime(2026, 11, 1, 8)})


def release(connector, party):
    connector.write('party.party', [party], {'creditguard_hold': False, 'creditguard_hold_reason': None,
        'creditguard_hold_rule': None, 'creditguard_hold_since': None})


def sale_state(client, sale):
    return client.read('sale.sale', [sale], ['state'])[0]['state']


def test_sales_user_cannot_confirm_a_sale_of_a_held_party(books, sales, connector):
    party = books.create_customer('Held Trading GmbH')
    sale = books.create_sale(party, 1000)
    hold(connector, party)

    result = books.confirm_sale_as(sales, sale)

    assert not result.confirmed and result.warning is None          # an error, not a warning
    assert result.message == f'The party "Held Trading GmbH" is on credit hold: {REASON}'
    assert sale_state(sales, sale) == 'quotation'


def test_admin_gets_a_skippable_warning_and_confirms_after_skipping(books, admin, connector):
    party = books.create_customer('Held Trading GmbH')
    sale = books.create_sale(party, 1000)
    hold(connector, party)

    result = books.confirm_sale_as(admin, sale)
    assert not result.confirmed and REASON in result.message and result.warning
    assert sale_state(admin, sale) == 'quotation'

    admin.skip_warning(result.warning)
    assert books.confirm_sale_as(admin, sale).confirmed
    assert sale_state(admin, sale) in {'confirmed', 'processing'}


@pytest.fixture
def manager(admin, tryton_server, tryton_db):
    """A credit manager: the credit-limit group (and sales)."""
    group = admin.call('model.ir.model.data.get_id', 'account_credit_limit', 'group_credit_limit',
        admin.context)
    sale_group = admin.call('model.ir.model.data.get_id', 'sale', 'group_sale', admin.context)
    company = admin.context['company']
    admin.create('res.user', [{'name': 'Credit Manager', 'login': 'manager', 'password': 'Manager-Pa55word!',
        'groups': [('add', [group, sale_group])], 'companies': [('add', [company])], 'company': company}])
    manager = TrytonClient(tryton_server.url, tryton_db)
    manager.login('manager', 'Manager-Pa55word!')
    return manager


def test_credit_limit_group_member_gets_the_warning_too(books, connector, manager):
    party = books.create_customer('Held Trading GmbH')
    sale = books.create_sale(party, 1000)
    hold(connector, party)

    result = books.confirm_sale_as(manager, sale)
    assert result.warning and REASON in result.message


def test_sale_of_a_clean_party_confirms(books, sales):
    party = books.create_customer('Clean Retail Ltd', credit_limit=5000)
    sale = books.create_sale(party, 1000)

    assert books.confirm_sale_as(sales, sale).confirmed
    assert sale_state(sales, sale) in {'confirmed', 'processing'}


def test_sale_confirms_once_the_hold_is_cleared(books, sales, connector):
    party = books.create_customer('Held Trading GmbH')
    sale = books.create_sale(party, 1000)
    hold(connector, party)
    assert not books.confirm_sale_as(sales, sale).confirmed

    release(connector, party)

    assert books.confirm_sale_as(sales, sale).confirmed


def test_hold_refuses_whatever_the_amount_and_shipment_method(books, admin, sales, connector):
    # Tryton's own check skips amounts <= 0 and sales not shipped on order: a hold does not
    party = books.create_customer('Held Trading GmbH')
    free = books.create_sale(party, 0)
    by_invoice = books.create_sale(party, 1000, quote=False)
    admin.write('sale.sale', [by_invoice], {'shipment_method': 'invoice'})
    admin.button('sale.sale', 'quote', [by_invoice])
    hold(connector, party)

    for sale in (free, by_invoice):
        assert REASON in books.confirm_sale_as(sales, sale).message
        assert sale_state(sales, sale) == 'quotation'


def test_hold_leaves_the_credit_limit_and_its_check_alone(books, sales, connector):
    party = books.create_customer('Held Trading GmbH', credit_limit=1500)
    hold(connector, party)
    assert sales.read('party.party', [party], ['credit_limit_amount'])[0]['credit_limit_amount'] == 1500

    release(connector, party)
    over_limit = books.create_sale(party, 2000)
    result = books.confirm_sale_as(sales, over_limit)
    assert 'credit limit' in result.message and 'credit hold' not in result.message
    assert sales.read('party.party', [party], ['credit_limit_amount'])[0]['credit_limit_amount'] == 1500


def test_only_the_connector_and_administrators_write_hold_and_cover(books, admin, sales, connector):
    party = books.create_customer('Some Customer SA')
    for values in ({'creditguard_hold': True}, {'insurer_cover_amount': Decimal('1000')},
            {'insurer_cover_status': 'approved'}):
        with pytest.raises(ErpRefused, match='not allowed'):
            sales.write('party.party', [party], values)

    cover = {'insurer_cover_amount': Decimal('40000.00'), 'insurer_cover_status': 'partial',
        'insurer_cover_valid_until': dt.date(2027, 6, 30), 'insurer_cover_request_pending': True}
    connector.write('party.party', [party], cover)
    hold(connector, party)
    admin.write('party.party', [party], {'creditguard_hold_reason': 'Checked by the credit manager'})

    seen, = sales.read('party.party', [party], [*cover, 'creditguard_hold', 'creditguard_hold_since',
        'creditguard_hold_rule', 'creditguard_hold_reason'])
    assert {name: seen[name] for name in cover} == cover
    assert seen['creditguard_hold'] is True
    assert seen['creditguard_hold_since'] == dt.datetime(2026, 11, 1, 8)
    assert seen['creditguard_hold_rule'] == 'extension.exceeded'
    assert seen['creditguard_hold_reason'] == 'Checked by the credit manager'


def test_sales_user_cannot_duplicate_a_held_party(books, sales, connector):
    clean = books.create_customer('Clean Retail Ltd')
    held = books.create_customer('Held Trading GmbH')
    hold(connector, held)

    assert sales.model('party.party', 'copy', [clean], {})
    with pytest.raises(ErpRefused, match='not allowed'):
        sales.model('party.party', 'copy', [held], {})


def test_held_customers_list_shows_only_held_parties(books, admin, sales, connector):
    held = books.create_customer('Held Trading GmbH')
    books.create_customer('Clean Retail Ltd')
    hold(connector, held)

    action, = sales.search_read('ir.action.act_window', [('name', '=', 'Held customers')], ['domain'])
    assert sales.search('party.party', json.loads(action['domain'])) == [held]
    menu = sales.search('ir.ui.menu', [('name', '=', 'Held customers')])
    assert menu


def test_hold_and_cover_fields_are_on_the_party_form(sales):
    view = sales.model('party.party', 'fields_view_get', None, 'form')
    assert 'Credit Guard' in view['arch']
    assert {'creditguard_hold', 'creditguard_hold_reason', 'insurer_cover_amount',
        'insurer_cover_status'} <= view['fields'].keys()
    assert view['fields']['creditguard_hold']['readonly']      # not writable for a sales user


def test_connector_reads_the_books_and_notes_parties(books, connector):
    party = books.create_customer('Noted Customer BV')
    invoice = books.create_invoice(party, 250, dt.date.today() - dt.timedelta(days=40))
    sale = books.create_sale(party, 100)

    assert connector.read('account.invoice', [invoice], ['state'])[0]['state'] == 'posted'
    assert connector.read('sale.sale', [sale], ['state'])[0]['state'] == 'quotation'
    note, = connector.create('ir.note', [{'resource': f'party.party,{party}',
        'message': 'Overdue 40 days: declare to the insurer by 2027-01-05'}])
    assert connector.read('ir.note', [note], ['message'])[0]['message'].startswith('Overdue 40 days')


def test_books_post_invoices_in_any_date_order_and_take_payments(books, admin):
    party = books.create_customer('Busy Buyer Oy', payment_term='Net 60', country='FI')
    today = dt.date.today()
    recent = books.create_invoice(party, 300, today - dt.timedelta(days=5))
    old = books.create_invoice(party, 200, today - dt.timedelta(days=400))
    credit = books.create_invoice(party, 50, today - dt.timedelta(days=30), credit_note=True)
    books.pay_invoice(recent)
    books.pay_invoice(old, amount=Decimal('80'))

    rows = {r['id']: r for r in admin.read('account.invoice', [recent, old, credit],
        ['number', 'state', 'total_amount', 'amount_to_pay'])}
    assert len({r['number'] for r in rows.values()}) == 3
    assert (rows[recent]['state'], rows[recent]['amount_to_pay']) == ('paid', 0)
    assert (rows[old]['state'], rows[old]['amount_to_pay']) == ('posted', Decimal('120.00'))
    assert rows[credit]['total_amount'] == Decimal('-50.00')
    assert admin.read('party.party', [party], ['receivable'])[0]['receivable'] == Decimal('70.00')


def test_a_flagged_partys_sale_warns_anyone_with_the_reason_and_goes_on_when_skipped(books, sales, connector):
    party = books.create_customer('Flagged Foods BV')
    sale = books.create_sale(party, 1000, quote=False)
    connector.write('party.party', [party], {'creditguard_flag': True,
        'creditguard_flag_reason': 'Oldest overdue invoice is 45 days past due'})

    with pytest.raises(ErpRefused) as warned:
        sales.button('sale.sale', 'quote', [sale])
    assert 'Flagged Foods BV' in warned.value.message and '45 days past due' in warned.value.message
    sales.skip_warning(warned.value.name)
    sales.button('sale.sale', 'quote', [sale])
    result = books.confirm_sale_as(sales, sale)               # confirming warns again, and is skippable too
    assert not result.confirmed and result.warning and '45 days past due' in result.message
    sales.skip_warning(result.warning)
    assert books.confirm_sale_as(sales, sale).confirmed


def test_a_credit_manager_places_and_lifts_a_manual_hold(books, sales, manager):
    party = books.create_customer('Lawsuit Ltd')
    manager.write('party.party', [party], {'creditguard_hold': True, 'creditguard_hold_reason': 'Lawsuit pending'})
    row, = manager.read('party.party', [party], ['creditguard_hold_origin'])
    assert row['creditguard_hold_origin'] == 'manual'
    sale = books.create_sale(party, 100)
    assert not books.confirm_sale_as(sales, sale).confirmed
    manager.write('party.party', [party], {'creditguard_hold': False, 'creditguard_hold_reason': None})
    assert books.confirm_sale_as(sales, sale).confirmed


def test_a_credit_manager_cannot_lift_a_hold_credit_guard_placed(books, connector, manager):
    party = books.create_customer('Held Trading GmbH')
    connector.write('party.party', [party], {'creditguard_hold': True, 'creditguard_hold_reason': REASON,
        'creditguard_hold_origin': 'credit_guard'})
    with pytest.raises(ErpRefused, match='placed by Credit Guard'):
        manager.write('party.party', [party], {'creditguard_hold': False})
