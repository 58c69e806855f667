"""The claim file's documents on a real Odoo: an invoice made from a sales order names its order; deliveries
only when Odoo has Inventory (pickings) and they are done."""
import datetime as dt


def test_an_invoice_from_an_order_names_the_order_and_one_without_names_nothing(session, books, admin):
    partner = books.customer("Claim Docs GmbH", credit_limit=10000)
    order = books.quotation(partner, 700)
    admin.call("sale.order", "action_confirm", [order])
    admin.write("sale.order.line", admin.search("sale.order.line", [("order_id", "=", order)]),
                {"qty_delivered": 1})                          # a service delivered by hand: invoiceable
    context = {**admin.context, "active_model": "sale.order", "active_ids": [order], "active_id": order}
    wizard = admin.call("sale.advance.payment.inv", "create", {"advance_payment_method": "delivered"},
                        context=context)
    admin.call("sale.advance.payment.inv", "create_invoices", [wizard], context=context)
    [move] = admin.search("account.move", [("invoice_origin", "=", admin.read("sale.order", [order],
                                                                               ["name"])[0]["name"])])
    books.moves.append(move)
    admin.call("account.move", "action_post", [move])
    alone = books.invoice(partner, 300, dt.date.today())
    [invoice_name, alone_name] = [r["name"] for r in admin.read("account.move", [move, alone], ["name"])]
    [order_name] = [r["name"] for r in admin.read("sale.order", [order], ["name"])]

    found = session.reader.documents([invoice_name, alone_name, "NO/SUCH/1"])

    assert found[invoice_name]["orders"] == [order_name]
    assert found[alone_name] == {"orders": [], "deliveries": []}
    assert found["NO/SUCH/1"] == {"orders": [], "deliveries": []}
