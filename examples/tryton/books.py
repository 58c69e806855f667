"""Build a company's books in a real Tryton over JSON-RPC, as admin: customers, invoices, payments, sales.

Used by the live tests (tests/tryton) and the demo; works on a database seeded by examples/tryton/seed.py
(payment terms "Net 30"/"Net 60", payment method "Cash", product "Consulting hour").

Invoice numbers: Tryton's strict invoice sequence refuses to number an invoice dated before one it already
numbered (InvoiceNumberError). So that invoices can be posted in any date order, `create_invoice` checks
first, exactly as Tryton does, whether the sequence in use has a later invoice; if so it gives the fiscal
year a fresh strict sequence (prefix INV2/, INV3/, ...) before posting. Numbers stay unique and strict
within each sequence. Back-dated invoices raise warnings (e.g. a payment date in the past): they are
skipped with res.user.warning.skip, as a user would click them away.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from creditguard.mappings.errors import ErpRefused, ErpWarning

__all__ = ['Books', 'SaleConfirmation']

PRODUCT = 'Consulting hour'


@dataclass
class SaleConfirmation:
    """What happened when a user clicked Confirm on a sale."""
    confirmed: bool
    message: str = None       # Tryton's refusal, e.g. 'The party "X" is on credit hold: ...'
    warning: str = None       # set when the user may skip the refusal: the warning's name

    def __bool__(self):
        return self.confirmed


class Books:
    """Data builder over a logged-in admin TrytonClient."""

    def __init__(self, client):
        self.client = client
        self._cache = {}

    def create_customer(self, name, credit_limit=None, payment_term='Net 30', country=None):
        """A party with an address (in `country`, an ISO code), a payment term and optional credit limit."""
        address = {'street': '1 Main Street'}
        if country:
            address['country'] = self._country(country)
        values = {'name': name, 'addresses': [('create', [address])]}
        if payment_term:
            values['customer_payment_term'] = self._payment_term(payment_term)
        if credit_limit is not None:
            values['credit_limit_amount'] = Decimal(credit_limit)
        party, = self.client.create('party.party', [values])
        return party

    def create_invoice(self, party, amount, invoice_date, post=True, credit_note=False,
            payment_term=None):
        """A customer invoice (or credit note) of one service line for `amount`; posted by default.

        The payment term is the party's unless `payment_term` names another one."""
        receivable, term = self._party_defaults(party)
        values = {
            'type': 'out', 'party': party, 'invoice_date': invoice_date,
            'invoice_address': self._address(party), 'account': receivable,
            'journal': self._lookup('account.journal', [('type', '=', 'revenue')]),
            'lines': [('create', [{'product': self._product(), 'account': self._revenue(),
                'quantity': -1 if credit_note else 1, 'unit': self._unit(),
                'unit_price': Decimal(amount), 'description': PRODUCT}])]}
        if term := self._payment_term(payment_term) if payment_term else term:
            values['payment_term'] = term
        invoice, = self.client.create('account.invoice', [values])
        if post:
            self._use_sequence_after(invoice_date)
            self._click_through_warnings('account.invoice', 'post', invoice)
        return invoice

    def pay_invoice(self, invoice_id, amount=None, date=None):
        """Pay an invoice in cash with Tryton's pay wizard; a smaller amount is a partial payment."""
        context = {'active_model': 'account.invoice', 'active_id': invoice_id, 'active_ids': [invoice_id]}
        with self.client.wizard('account.invoice.pay', **context) as wizard:
            start = wizard.execute('start', {})['view']['defaults']
            start.update(payment_method=self._payment_method(), date=date or dt.date.today(),
                description='Payment')
            if amount is not None:
                start['amount'] = Decimal(amount)
            start = {k: v for k, v in start.items() if '.' not in k}
            answer = wizard.execute('choice', {'start': start})
            if 'view' in answer:                  # amount below what is due: pay it as a partial payment
                ask = {k: v for k, v in answer['view']['defaults'].items() if '.' not in k}
                ask['type'] = 'partial'
                wizard.execute('pay', {'start': start, 'ask': ask})

    def create_sale(self, party, amount, quote=True):
        """A sale of one service line for `amount` (untaxed); quoted by default."""
        address = self._address(party)
        values = {'party': party, 'invoice_address': address, 'shipment_address': address,
            'lines': [('create', [{'type': 'line', 'product': self._product(), 'quantity': 1,
                'unit': self._unit(), 'unit_price': Decimal(amount), 'description': PRODUCT}])]}
        if term := self._party_defaults(party)[1]:
            values['payment_term'] = term
        sale, = self.client.create('sale.sale', [values])
        if quote:
            self.client.button('sale.sale', 'quote', [sale])
        return sale

    @staticmethod
    def confirm_sale_as(client, sale_id):
        """Click Confirm as the user of `client`; report the refusal instead of raising it."""
        try:
            client.button('sale.sale', 'confirm', [sale_id])
        except ErpWarning as warning:
            return SaleConfirmation(False, warning.message, warning.name)
        except ErpRefused as refusal:
            return SaleConfirmation(False, refusal.message)
        return SaleConfirmation(True)

    # -- helpers ------------------------------------------------------------------------------

    def _click_through_warnings(self, model, button, record, attempts=5):
        for _ in range(attempts):
            try:
                return self.client.button(model, button, [record])
            except ErpWarning as warning:
                self.client.skip_warning(warning.name)
        return self.client.button(model, button, [record])

    def _use_sequence_after(self, invoice_date):
        """Give the fiscal year a fresh invoice sequence if the current one numbered a later invoice."""
        client = self.client
        year, = client.search('account.fiscalyear',
            [('start_date', '<=', invoice_date), ('end_date', '>=', invoice_date)], 0, 1)
        line, = client.search_read('account.fiscalyear.invoice_sequence', [('fiscalyear', '=', year)],
            ['out_invoice_sequence', 'out_credit_note_sequence'])
        sequences = [line['out_invoice_sequence'], line['out_credit_note_sequence']]
        if not client.search_count('account.invoice', [('type', '=', 'out'),
                ('sequence', 'in', sequences), ('invoice_date', '>', invoice_date)]):
            return
        kind = client.call('model.ir.model.data.get_id', 'account_invoice',
            'sequence_type_account_invoice', client.context)
        count = client.search_count('ir.sequence.strict', [('sequence_type', '=', kind)])
        fresh, = client.create('ir.sequence.strict', [{'name': f'Invoices {count + 1}',
            'prefix': f'INV{count + 1}/', 'sequence_type': kind, 'company': client.context['company']}])
        client.write('account.fiscalyear.invoice_sequence', [line['id']],
            {'out_invoice_sequence': fresh, 'out_credit_note_sequence': fresh})

    def _lookup(self, model, domain):
        key = (model, repr(domain))
        if key not in self._cache:
            found = self.client.search(model, domain, 0, 1)
            if not found:
                raise ErpRefused(f'{model} {domain} not found: is the database seeded?', where=model)
            self._cache[key] = found[0]
        return self._cache[key]

    def _product(self):
        return self._lookup('product.product', [('rec_name', '=', PRODUCT)])

    def _unit(self):
        return self._lookup('product.uom', [('name', '=', 'Unit')])

    def _payment_term(self, name):
        return self._lookup('account.invoice.payment_term', [('name', '=', name)])

    def _payment_method(self):
        return self._lookup('account.invoice.payment.method', [('name', '=', 'Cash')])

    def _country(self, code):
        found = self.client.search('country.country', [('code', '=', code.upper())], 0, 1)
        if found:
            return found[0]
        return self.client.create('country.country', [{'name': code.upper(), 'code': code.upper()}])[0]

    def _address(self, party):
        return self.client.search('party.address', [('party', '=', party)], 0, 1)[0]

    def _account(self, kind):
        return self._lookup('account.account', [(f'type.{kind}', '=', True), ('closed', '!=', True)])

    def _revenue(self):
        category = self._lookup('product.category', [('name', '=', 'Services')])
        return self.client.read('product.category', [category], ['account_revenue'])[0]['account_revenue'] \
            or self._account('revenue')

    def _party_defaults(self, party):
        """The party's receivable account and customer payment term (what the form's on_change fills)."""
        values, = self.client.read('party.party', [party], ['account_receivable', 'customer_payment_term'])
        return values['account_receivable'] or self._account('receivable'), values['customer_payment_term']
