"""Real channels: each vendor is an adapter behind one interface (`base.Adapter`).

Every inbound request is verified, stored raw (`InboundRecord`) in the transaction that
answers 2xx, and processed by the background worker into domain events (`events`), which
`apply` turns into customers, conversations and messages. The domain never sees a vendor
payload.
"""
