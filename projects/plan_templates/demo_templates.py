"""Realistic project templates shipped with the demo (``seed_demo``).

Each milestone: (name, offset days, duration days, weight, value adding, client visible, checklist items).
A checklist item ending in "?" is optional; the others are required.
"""

from projects.records import ServiceType

TEMPLATES = {
    "Technology transfer (biologics)": (
        ServiceType.TECH_TRANSFER,
        "Transfer of a client's upstream/downstream process into GMP manufacturing.",
        [
            (
                "Tech-transfer package received",
                0,
                14,
                "0.05",
                False,
                True,
                ["Process description received", "Analytical methods received", "Material list received"],
            ),
            (
                "Gap assessment",
                14,
                21,
                "0.10",
                True,
                True,
                ["Equipment fit assessed", "Raw material gaps listed", "Risk assessment (FMEA) approved"],
            ),
            (
                "Engineering batch",
                35,
                30,
                "0.15",
                True,
                True,
                ["Batch record draft issued", "Engineering batch executed", "Lessons learned logged?"],
            ),
            (
                "GMP batch 1",
                65,
                30,
                "0.15",
                True,
                True,
                ["Master batch record approved", "Batch executed", "QA review"],
            ),
            ("GMP batch 2", 95, 30, "0.15", True, True, ["Batch executed", "QA review"]),
            ("GMP batch 3", 125, 30, "0.15", True, True, ["Batch executed", "QA review"]),
            ("Batch record approved", 155, 14, "0.10", False, True, ["Deviations closed", "QA sign-off"]),
            ("CoA issued", 169, 7, "0.05", True, True, ["Release testing complete", "CoA signed by QP"]),
            ("PPQ report", 176, 21, "0.10", True, True, ["Report drafted", "Client review", "Report approved"]),
        ],
    ),
    "Process development": (
        ServiceType.PROCESS_DEVELOPMENT,
        "Development and scale-up of an upstream and downstream process.",
        [
            ("Kick-off and target product profile", 0, 10, "0.05", False, True, ["TPP agreed", "Project plan shared"]),
            ("Cell line / strain evaluation", 10, 30, "0.15", True, True, ["Clones screened", "Lead clone selected"]),
            (
                "Upstream optimisation (DoE)",
                40,
                45,
                "0.20",
                True,
                True,
                ["DoE designed", "Runs executed", "Model fitted"],
            ),
            (
                "Downstream development",
                85,
                40,
                "0.20",
                True,
                True,
                ["Capture step", "Polishing steps", "Viral clearance plan"],
            ),
            ("Scale-up run (200 L)", 125, 30, "0.20", True, True, ["Run executed", "Comparability assessed"]),
            ("Internal process review", 155, 10, "0.05", False, False, ["Costing reviewed", "Capacity check"]),
            ("Development report", 165, 20, "0.15", True, True, ["Report drafted", "Client review", "Report approved"]),
        ],
    ),
    "Clinical supply": (
        ServiceType.CLINICAL_SUPPLY,
        "GMP manufacture, release and shipment of clinical trial material.",
        [
            ("Supply plan agreed", 0, 14, "0.05", False, True, ["Demand forecast received", "Supply plan signed"]),
            (
                "Materials procured",
                14,
                45,
                "0.10",
                False,
                True,
                ["Long-lead items ordered", "Materials released by QC"],
            ),
            ("GMP batch 1", 59, 30, "0.20", True, True, ["Batch record approved", "Batch executed", "QA review"]),
            ("GMP batch 2", 89, 30, "0.20", True, True, ["Batch executed", "QA review"]),
            ("Release testing", 119, 21, "0.15", True, True, ["Release tests complete", "OOS investigations closed"]),
            ("QP certification", 140, 7, "0.15", True, True, ["QP certificate issued"]),
            ("Labelling and shipment", 147, 14, "0.15", True, True, ["Labels approved", "Shipment dispatched"]),
        ],
    ),
    "Commercial supply": (
        ServiceType.COMMERCIAL_SUPPLY,
        "Routine commercial manufacture under a supply agreement.",
        [
            ("Annual forecast agreed", 0, 14, "0.04", False, True, ["Forecast received", "Capacity reserved"]),
            ("Campaign 1 manufacture", 14, 60, "0.20", True, True, ["Batches executed", "QA review"]),
            ("Campaign 1 release", 74, 21, "0.12", True, True, ["CoA issued", "QP release"]),
            ("Campaign 2 manufacture", 150, 60, "0.20", True, True, ["Batches executed", "QA review"]),
            ("Campaign 2 release", 210, 21, "0.12", True, True, ["CoA issued", "QP release"]),
            ("Annual product quality review", 300, 30, "0.12", False, True, ["Trend data compiled", "APQR approved"]),
            ("Campaign 3 manufacture", 330, 60, "0.20", True, True, ["Batches executed", "QA review"]),
        ],
    ),
    "Fill-finish": (
        ServiceType.FILL_FINISH,
        "Aseptic fill, lyophilisation and release of drug product.",
        [
            ("Drug substance received", 0, 7, "0.05", False, True, ["DS received", "Incoming QC"]),
            ("Media fill", 7, 21, "0.15", False, True, ["Media fill executed", "Results acceptable"]),
            ("Fill and lyophilisation", 28, 30, "0.40", True, True, ["Batch record approved", "Fill executed"]),
            ("Release testing", 58, 30, "0.25", True, True, ["Sterility test", "CoA issued"]),
            ("Shipment", 88, 10, "0.15", True, True, ["Shipment dispatched"]),
        ],
    ),
    "Analytical services": (
        ServiceType.ANALYTICAL,
        "Method transfer, validation, stability and release testing.",
        [
            ("Methods received", 0, 10, "0.05", False, True, ["Methods received"]),
            ("Method transfer", 10, 30, "0.25", True, True, ["Transfer protocol approved", "Transfer executed"]),
            ("Method validation", 40, 45, "0.30", True, True, ["Validation protocol approved", "Report approved"]),
            ("Stability pull T3", 85, 20, "0.20", True, True, ["Samples tested"]),
            ("Stability report", 105, 30, "0.20", True, True, ["Report approved"]),
        ],
    ),
}
