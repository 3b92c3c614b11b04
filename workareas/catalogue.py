"""The work areas as Chorus Pro shows them to a supplier: the data the first migration seeds.

Kept apart from the migration so that tests which empty the database can seed it again.
"""

CATALOGUE = [
    # code, name_en, name_fr, description_en, description_fr, restriction_en, restriction_fr,
    # on_by_default, always_on
    (
        "commitments",
        "Commitments",
        "Engagements",
        "View the commitments of the French State",
        "Consulter les engagements de l'État",
        "",
        "",
        False,
        False,
    ),
    (
        "data-flow-overview",
        "Data flow overview",
        "Suivi des flux",
        "View the status of data flows",
        "Consulter l'état des flux",
        "Restricted to connected structures that have sent data flows",
        "Réservé aux structures raccordées ayant déposé des flux",
        False,
        False,
    ),
    (
        "edi-api-connections",
        "EDI and API connections",
        "Raccordements EDI et API",
        "Create and view the EDI and API connections",
        "Créer et consulter les raccordements EDI et API",
        "",
        "",
        False,
        False,
    ),
    (
        "ict-refund-request",
        "ICT refund request",
        "Demande de remboursement de la TIC",
        "Submit and view ICT refund requests",
        "Déposer et consulter les demandes de remboursement de la TIC",
        "",
        "",
        False,
        False,
    ),
    (
        "invoices-to-validate",
        "Invoices to validate",
        "Factures à valider",
        "Validate invoices",
        "Valider des factures",
        "Restricted to your own invoices",
        "Réservé à vos propres factures",
        False,
        False,
    ),
    (
        "issued-invoices",
        "Issued invoices",
        "Factures émises",
        "Submit and view the issued invoices",
        "Déposer et consulter les factures émises",
        "",
        "",
        True,
        False,
    ),
    (
        "justice-costs-invoices",
        "Justice costs invoices",
        "Factures de frais de justice",
        "Submit and view justice costs invoices",
        "Déposer et consulter les factures de frais de justice",
        "Restricted to providers of justice costs invoices",
        "Réservé aux prestataires de frais de justice",
        False,
        False,
    ),
    (
        "work-invoices",
        "Work invoices",
        "Factures de travaux",
        "Submit and view the work invoices (only)",
        "Déposer et consulter les factures de travaux (uniquement)",
        "",
        "",
        False,
        False,
    ),
    (
        "sent-requests",
        "Sent requests",
        "Sollicitations émises",
        "Follow the requests you sent",
        "Suivre les sollicitations que vous avez émises",
        "",
        "",
        True,
        True,
    ),
]


def seed_catalogue(WorkArea) -> None:
    """Create or refresh the seeded areas (the model is passed: migrations give their own)."""
    for order, row in enumerate(CATALOGUE, start=1):
        (code, name_en, name_fr, desc_en, desc_fr, restr_en, restr_fr, default, always) = row
        WorkArea.objects.update_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_fr": name_fr,
                "description_en": desc_en,
                "description_fr": desc_fr,
                "restriction_en": restr_en,
                "restriction_fr": restr_fr,
                "on_by_default": default or always,
                "always_on": always,
                "order": order * 10,
            },
        )
