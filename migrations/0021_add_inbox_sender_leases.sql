-- One worker process at a time handles the received activities of one sender, so they
-- keep their order across processes too (server/storage/inbox.py, claim_items). A claim
-- takes or renews the lease of each sender it claims rows of; another process's unexpired
-- lease keeps that sender's rows out of its claim. A stopping process gives its leases
-- back; a killed one's expire like its row leases.
CREATE TABLE inbox_sender_leases (
    actor_ap_id  text PRIMARY KEY,
    locked_by    text NOT NULL,
    locked_until timestamptz NOT NULL
);
