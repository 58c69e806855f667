"""The order allowance in a real Tryton (docs/allowance.md): the connector writes it on the party with
TrytonWriter.set_allowance, and the creditguard add-on counts the order being confirmed, the orders confirmed
and the invoices posted without an order since, with no call out of Tryton."""
import datetime as dt
from decimal import Decimal

import pytest

from creditguard.mappings.vocab import Outcome
from creditguard.connector.erp.tryton.writeback import TrytonWriter
from creditguard.mappings.errors import ErpRefused, ErpWarning
from tests.tryton.test_addon import manager, sale_state  # noqa: F401  (the credit manager fixture)

BOUND = 'its credit limit 10,000.00'
RULE = 'credit_limit.exceeded'
FLAG_BOUND = 'the 9,000.00 that rule credit_limit.near allows'
FLAG_RULE = 'credit_limit.near'


def utc_now():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def as_of(seconds_ago=2):
    return (utc_now() - dt.timedelta(seconds=seconds_ago)).isoformat()


def set_allowance(connector, party, allowance='2300.00', *, flag_allowance=None, exposure='7700.00', when=None,
        rule=RULE, bound=BOUND, flag_rule='', flag_bound=''):
    """What a cycle writes for the party: an allowance (None: no limit) computed at exposure `exposure`."""
    return TrytonWriter(connector).set_allowance(str(party), allowance=allowance, allowance_rule=rule,
        allowance_bound=bound, flag_allowance=flag_allowance, flag_rule=flag_rule, flag_bound=flag_bound,
        exposure=exposure, currency='EUR', as_of=when or as_of())


def quote(client, *sales):
    """Click Quote, skipping the allowance's warning as a salesperson would (a quotation only warns)."""
    for _ in range(3):
        try:
            return client.button('sale.sale', 'quote', list(sales))
        except ErpWarning as warning:
            client.skip_warning(warning.name)
    raise AssertionError('the quote warning came back after it was skipped')


def new_sale(books, party, amount):
    sale = books.create_sale(party, amount, quote=False)
    quote(books.client, sale)
    return sale


@pytest.fixture
def party(books, connector):
    """A customer of exposure 7,700.00 with an allowance of 2,300.00 (its credit limit 10,000.00)."""
    party = books.create_customer('Bolt Industries')
    set_allowance(connector, party)
    return party


def test_an_order_above_the_allowance_is_refused_naming_order_amount_exposure_bound_and_rule(books, sales, party):
    sale = new_sale(books, party, 3500)
    number = sales.read('sale.sale', [sale], ['number'])[0]['number']

    result = books.confirm_sale_as(sales, sale)

    assert not result.confirmed and result.warning is None          # an error, not a warning
    assert result.message == (f"Order {number} of 3,500.00 would take Bolt Industries's exposure to 11,200.00, "
        f"above {BOUND} (allowance 2,300.00, rule {RULE}).")
    assert sale_state(sales, sale) == 'quotation'


def test_an_order_within_the_allowance_confirms_and_records_when(books, sales, party):
    sale = new_sale(books, party, 2300)
    before = utc_now()

    assert books.confirm_sale_as(sales, sale).confirmed

    confirmed_at = sales.read('sale.sale', [sale], ['creditguard_confirmed_at'])[0]['creditguard_confirmed_at']
    assert before <= confirmed_at <= utc_now() + dt.timedelta(seconds=1)


def test_orders_confirmed_since_count_a_second_one_over_the_allowance_is_refused(books, sales, party):
    first, second = new_sale(books, party, 1500), new_sale(books, party, 1000)

    assert books.confirm_sale_as(sales, first).confirmed
    result = books.confirm_sale_as(sales, second)

    assert not result.confirmed and 'of 1,000.00' in result.message and 'exposure to 10,200.00' in result.message
    assert sale_state(sales, second) == 'quotation'


def test_orders_confirmed_before_the_as_of_time_are_in_the_exposure_not_counted_again(books, sales, connector,
        party):
    first, second = new_sale(books, party, 1500), new_sale(books, party, 1000)
    assert books.confirm_sale_as(sales, first).confirmed
    # the next cycle read the exposure after the first order: it counts there, with a smaller allowance
    set_allowance(connector, party, allowance='800.00', exposure='9200.00', when=as_of(-2))

    result = books.confirm_sale_as(sales, second)
    assert 'exposure to 10,200.00' in result.message and 'allowance 800.00' in result.message
    set_allowance(connector, party, allowance='1000.00', exposure='9000.00', when=as_of(-2))
    assert books.confirm_sale_as(sales, second).confirmed


def test_a_copied_sale_is_not_confirmed_yet(books, sales, party):
    sale = new_sale(books, party, 100)
    assert books.confirm_sale_as(sales, sale).confirmed
    copy, = sales.model('sale.sale', 'copy', [sale], {})
    assert sales.read('sale.sale', [copy], ['creditguard_confirmed_at'])[0]['creditguard_confirmed_at'] is None


def test_a_party_without_a_limit_is_not_refused(books, sales, connector):
    party = books.create_customer('Unlimited Ltd')
    set_allowance(connector, party, allowance=None, rule='', bound='')
    assert sales.read('party.party', [party], ['creditguard_allowance_limited'])[0] == {
        'id': party, 'creditguard_allowance_limited': False}

    assert books.confirm_sale_as(sales, new_sale(books, party, 50000)).confirmed


def test_a_party_no_cycle_has_written_is_not_refused(books, sales):
    party = books.create_customer('Brand New Customer')

    assert books.confirm_sale_as(sales, new_sale(books, party, 50000)).confirmed


def test_an_order_in_another_currency_counts_at_trytons_rate(books, admin, sales, party):
    company_currency = admin.read('company.company', [admin.context['company']], ['currency'])[0]['currency']
    usd, = admin.create('currency.currency', [{'name': 'US Dollar', 'code': 'USD', 'symbol': '$',
        'rounding': Decimal('0.01'), 'digits': 2}])
    year_ago = dt.date.today() - dt.timedelta(days=365)
    admin.create('currency.currency.rate', [{'currency': company_currency, 'date': year_ago, 'rate': Decimal(1)},
        {'currency': usd, 'date': year_ago, 'rate': Decimal('1.25')}])          # 1 EUR = 1.25 USD
    within = books.create_sale(party, 2875, quote=False)                          # 2,300.00 EUR
    above = books.create_sale(party, '2876.25', quote=False)                     # 2,301.00 EUR
    admin.write('sale.sale', [within, above], {'currency': usd})
    quote(admin, within, above)

    result = books.confirm_sale_as(sales, above)
    assert not result.confirmed and 'of 2,301.00' in result.message and 'exposure to 10,001.00' in result.message
    assert books.confirm_sale_as(sales, within).confirmed


def test_an_invoice_posted_without_an_order_since_counts(books, sales, party):
    books.create_invoice(party, 2000, dt.date.today())
    books.create_invoice(party, 500, dt.date.today(), credit_note=True)         # a credit note is left out
    sale = new_sale(books, party, 301)

    result = books.confirm_sale_as(sales, sale)

    assert not result.confirmed and 'exposure to 10,001.00' in result.message
    assert books.confirm_sale_as(sales, new_sale(books, party, 300)).confirmed


def test_an_invoice_posted_from_a_confirmed_order_counts_once(books, admin, sales, party):
    first = new_sale(books, party, 2000)
    assert books.confirm_sale_as(sales, first).confirmed
    invoices = admin.search('account.invoice', [('lines.origin', 'like', 'sale.line,%'), ('party', '=', party)])
    assert invoices
    admin.write('account.invoice', invoices, {'invoice_date': dt.date.today()})
    for invoice in invoices:
        books._click_through_warnings('account.invoice', 'post', invoice)
    assert {r['state'] for r in admin.read('account.invoice', invoices, ['state'])} == {'posted'}

    assert books.confirm_sale_as(sales, new_sale(books, party, 300)).confirmed      # 2,000 + 300 <= 2,300


def test_above_the_flag_allowance_a_warning_anyone_may_skip(books, sales, connector):
    party = books.create_customer('Flag Near Ltd')
    set_allowance(connector, party, allowance='2300.00', flag_allowance='1300.00', flag_rule=FLAG_RULE,
        flag_bound=FLAG_BOUND)
    sale = new_sale(books, party, 1500)

    result = books.confirm_sale_as(sales, sale)

    assert not result.confirmed and result.warning
    assert 'of 1,500.00' in result.message and FLAG_BOUND in result.message and FLAG_RULE in result.message
    assert 'flag allowance 1,300.00' in result.message and 'exposure to 9,200.00' in result.message
    sales.skip_warning(result.warning)
    assert books.confirm_sale_as(sales, sale).confirmed


def test_a_credit_limit_group_member_gets_a_skippable_warning(books, party, manager):  # noqa: F811
    sale = new_sale(books, party, 3500)

    result = books.confirm_sale_as(manager, sale)

    assert not result.confirmed and result.warning and 'exposure to 11,200.00' in result.message
    manager.skip_warning(result.warning)
    assert books.confirm_sale_as(manager, sale).confirmed


def test_quoting_above_the_allowance_only_warns(books, sales, party):
    sale = books.create_sale(party, 3500, quote=False)

    with pytest.raises(ErpRefused) as warned:
        sales.button('sale.sale', 'quote', [sale])
    assert warned.value.name and 'exposure to 11,200.00' in warned.value.message
    sales.skip_warning(warned.value.name)
    sales.button('sale.sale', 'quote', [sale])
    assert sale_state(sales, sale) == 'quotation'
    assert not books.confirm_sale_as(sales, sale).confirmed          # confirming it is still refused


def test_a_held_party_is_refused_by_the_hold_as_before(books, sales, connector, party):
    connector.write('party.party', [party], {'creditguard_hold': True, 'creditguard_hold_reason': 'Overdue',
        'creditguard_hold_rule': 'extension.exceeded'})

    result = books.confirm_sale_as(sales, new_sale(books, party, 3500))
    assert result.message == 'The party "Bolt Industries" is on credit hold: Overdue'


def test_set_allowance_writes_the_fields_once_and_then_answers_already_there(books, sales, connector):
    party = books.create_customer('Written Twice GmbH')
    when = '2026-11-30T08:15:00'
    kwargs = dict(allowance='2300.00', flag_allowance=None, exposure='7700.00', when=when)

    assert set_allowance(connector, party, **kwargs) == Outcome.WRITTEN
    assert set_allowance(connector, party, **kwargs) == Outcome.ALREADY_THERE

    row, = sales.read('party.party', [party], list(TrytonWriter.required_fields['party.party'][-11:]))
    assert {k: v for k, v in row.items() if k != 'id'} == {
        'creditguard_allowance': Decimal('2300.00'), 'creditguard_allowance_limited': True,
        'creditguard_allowance_rule': RULE, 'creditguard_allowance_bound': BOUND,
        'creditguard_flag_allowance': Decimal('0'), 'creditguard_flag_allowance_limited': False,
        'creditguard_flag_allowance_rule': None, 'creditguard_flag_allowance_bound': None,
        'creditguard_exposure': Decimal('7700.00'), 'creditguard_allowance_currency': 'EUR',
        'creditguard_allowance_as_of': dt.datetime(2026, 11, 30, 8, 15)}
    assert set_allowance(connector, party, **{**kwargs, 'allowance': '2299.99'}) == Outcome.WRITTEN


def test_only_the_connector_writes_the_allowance_and_it_is_on_the_party_form(books, sales, connector, party):
    with pytest.raises(ErpRefused, match='not allowed'):
        sales.write('party.party', [party], {'creditguard_allowance': Decimal('1000000')})
    with pytest.raises(ErpRefused, match='not allowed'):
        sales.write('party.party', [party], {'creditguard_allowance_as_of': None})
    assert sales.model('party.party', 'copy', [party], {})              # a copy starts without an allowance

    view = sales.model('party.party', 'fields_view_get', None, 'form')
    assert {'creditguard_allowance', 'creditguard_flag_allowance', 'creditguard_exposure',
        'creditguard_allowance_as_of'} <= view['fields'].keys()
    assert view['fields']['creditguard_allowance']['readonly']
    assert 'Allowance Left' in view['fields']['creditguard_allowance']['string']


def test_a_sales_user_cannot_set_the_confirmation_time(books, sales, party):
    sale = books.create_sale(party, 100, quote=False)
    with pytest.raises(ErpRefused):
        sales.write('sale.sale', [sale], {'creditguard_confirmed_at': dt.datetime(2020, 1, 1)})
