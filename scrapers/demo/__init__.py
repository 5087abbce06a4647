"""Bundled demo news sites: the generator (:mod:`.build_sites`, one renderer per outlet in
:mod:`.outlets`, the truth in :mod:`.content`) and the server (:mod:`.server`).

The sites are invented regional outlets served from ``data/demo_sites/www`` on 127.0.0.1, so the
demo and the end-to-end tests run without internet access.
"""
