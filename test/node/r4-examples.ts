// Hand-written resources in the style of the R4 specification's examples (patient-example,
// observation-example-bloodpressure, encounter-example, ...), for the FHIRPath cross-check: the npm
// packages installed here ship no official example instances, so these are written for this test and
// cover the datatypes search parameters read (names, addresses, identifiers with types, periods,
// timings, quantities with comparators, ranges, references of several kinds, extensions).

export const R4_EXAMPLES: Record<string, unknown>[] = [
  {
    resourceType: 'Patient',
    id: 'example',
    meta: {
      tag: [{ system: 'urn:example:tags', code: 'demo' }],
      profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'],
    },
    identifier: [
      {
        use: 'usual',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
        system: 'urn:oid:1.2.36.146.595.217.0.1',
        value: '12345',
        period: { start: '2001-05-06' },
        assigner: { display: 'Acme Healthcare' },
      },
    ],
    active: true,
    name: [
      { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] },
      { use: 'usual', given: ['Jim'] },
      { use: 'maiden', family: 'Windsor', given: ['Peter', 'James'], period: { end: '2002' } },
    ],
    telecom: [
      { use: 'home' },
      { system: 'phone', value: '(03) 5555 6473', use: 'work', rank: 1 },
      { system: 'phone', value: '(03) 3410 5613', use: 'mobile', rank: 2 },
      { system: 'email', value: 'peter@example.org', use: 'old', period: { end: '2014' } },
    ],
    gender: 'male',
    birthDate: '1974-12-25',
    _birthDate: {
      extension: [
        {
          url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime',
          valueDateTime: '1974-12-25T14:35:45-05:00',
        },
      ],
    },
    deceasedBoolean: false,
    address: [
      {
        use: 'home',
        type: 'both',
        text: '534 Erewhon St PeasantVille, Rainbow, Vic  3999',
        line: ['534 Erewhon St'],
        city: 'PleasantVille',
        district: 'Rainbow',
        state: 'Vic',
        postalCode: '3999',
        period: { start: '1974-12-25' },
      },
    ],
    contact: [
      {
        relationship: [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N' }] },
        ],
        name: { family: 'du Marché', given: ['Bénédicte'] },
        gender: 'female',
      },
    ],
    communication: [
      {
        language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'nl-NL' }], text: 'Nederlands' },
        preferred: true,
      },
    ],
    generalPractitioner: [{ reference: 'Practitioner/example' }],
    managingOrganization: { reference: 'Organization/1' },
    link: [{ other: { reference: 'Patient/pat2' }, type: 'seealso' }],
  },
  {
    resourceType: 'Observation',
    id: 'blood-pressure',
    meta: { profile: ['http://hl7.org/fhir/StructureDefinition/vitalsigns'] },
    identifier: [
      { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:187e0c12-8dd2-67e2-99b2-bf273c878281' },
    ],
    basedOn: [
      { identifier: { system: 'https://acmehealthcare.org/identifiers/order', value: '1234' } },
    ],
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: {
      coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }],
      text: 'Blood pressure systolic & diastolic',
    },
    subject: { reference: 'Patient/example' },
    effectiveDateTime: '2012-09-17',
    performer: [{ reference: 'Practitioner/example' }],
    interpretation: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
            code: 'L',
            display: 'low',
          },
        ],
        text: 'Below low normal',
      },
    ],
    bodySite: {
      coding: [{ system: 'http://snomed.info/sct', code: '368209003', display: 'Right arm' }],
    },
    component: [
      {
        code: {
          coding: [
            { system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' },
          ],
        },
        valueQuantity: {
          value: 107,
          unit: 'mmHg',
          system: 'http://unitsofmeasure.org',
          code: 'mm[Hg]',
        },
      },
      {
        code: {
          coding: [
            { system: 'http://loinc.org', code: '8462-4', display: 'Diastolic blood pressure' },
          ],
        },
        valueQuantity: {
          value: 60,
          unit: 'mmHg',
          system: 'http://unitsofmeasure.org',
          code: 'mm[Hg]',
        },
      },
    ],
  },
  {
    resourceType: 'Observation',
    id: 'glucose',
    status: 'final',
    code: {
      coding: [
        { system: 'http://loinc.org', code: '15074-8', display: 'Glucose [Moles/volume] in Blood' },
      ],
    },
    subject: { reference: 'Patient/example' },
    encounter: { reference: 'Encounter/example' },
    effectivePeriod: { start: '2013-04-02T09:30:10+01:00' },
    issued: '2013-04-03T15:30:10+01:00',
    valueQuantity: {
      value: 6.3,
      unit: 'mmol/l',
      system: 'http://unitsofmeasure.org',
      code: 'mmol/L',
    },
    referenceRange: [{ low: { value: 3.1, unit: 'mmol/l' }, high: { value: 6.2, unit: 'mmol/l' } }],
    device: { reference: 'Device/example' },
    specimen: { reference: 'Specimen/101' },
    derivedFrom: [{ reference: 'Observation/blood-pressure' }],
  },
  {
    resourceType: 'Observation',
    id: 'f-coded',
    status: 'amended',
    code: { coding: [{ system: 'http://loinc.org', code: '882-1', display: 'ABO and Rh group' }] },
    subject: { reference: 'https://example.org/fhir/Patient/remote', display: 'remote' },
    focus: [{ reference: 'Specimen/s2' }],
    effectiveTiming: { event: ['2013-04-02T10:30:10+01:00', '2013-04-05'] },
    valueCodeableConcept: {
      coding: [
        {
          system: 'http://snomed.info/sct',
          code: '278149003',
          display: 'Blood group A Rh(D) positive',
        },
      ],
    },
    dataAbsentReason: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
          code: 'not-performed',
        },
      ],
    },
    method: { text: 'agglutination' },
    hasMember: [{ reference: 'Observation/glucose' }],
    partOf: [{ reference: 'Procedure/example' }],
  },
  {
    resourceType: 'Observation',
    id: 'comparator',
    status: 'preliminary',
    code: { coding: [{ system: 'http://loinc.org', code: '2160-0' }] },
    subject: { reference: 'Group/101' },
    valueQuantity: {
      value: 0.5,
      comparator: '<',
      unit: 'mg/dL',
      system: 'http://unitsofmeasure.org',
      code: 'mg/dL',
    },
    effectiveInstant: '2020-01-01T00:00:00.123Z',
  },
  {
    resourceType: 'Encounter',
    id: 'example',
    identifier: [
      { use: 'temp', system: 'http://www.amc.nl/zorgportal/identifiers/visits', value: 'v1451' },
    ],
    status: 'in-progress',
    class: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
      code: 'IMP',
      display: 'inpatient encounter',
    },
    type: [
      {
        coding: [
          {
            system: 'http://snomed.info/sct',
            code: '183807002',
            display: 'Inpatient stay for nine days',
          },
        ],
      },
    ],
    subject: { reference: 'Patient/example' },
    episodeOfCare: [{ reference: 'EpisodeOfCare/example' }],
    participant: [
      {
        type: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
                code: 'PART',
              },
            ],
          },
        ],
        individual: { reference: 'Practitioner/example' },
        period: { start: '2015-01-17T16:00:00+10:00' },
      },
    ],
    period: { start: '2015-01-17T16:00:00+10:00', end: '2015-01-26' },
    length: { value: 9, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' },
    reasonCode: [
      {
        coding: [
          {
            system: 'http://snomed.info/sct',
            code: '34068001',
            display: 'Heart valve replacement',
          },
        ],
      },
    ],
    hospitalization: {
      dischargeDisposition: { coding: [{ system: 'http://snomed.info/sct', code: '306689006' }] },
    },
    location: [
      {
        location: { reference: 'Location/2' },
        status: 'completed',
        period: { start: '2015-01-17T16:00:00+10:00', end: '2015-01-26' },
      },
    ],
    serviceProvider: { reference: 'Organization/2' },
    partOf: { reference: 'Encounter/f203' },
  },
  {
    resourceType: 'Condition',
    id: 'example',
    clinicalStatus: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' },
      ],
    },
    verificationStatus: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' },
      ],
    },
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/condition-category',
            code: 'encounter-diagnosis',
            display: 'Encounter Diagnosis',
          },
        ],
      },
    ],
    severity: {
      coding: [{ system: 'http://snomed.info/sct', code: '24484000', display: 'Severe' }],
    },
    code: {
      coding: [{ system: 'http://snomed.info/sct', code: '39065001', display: 'Burn of ear' }],
      text: 'Burnt Ear',
    },
    bodySite: [
      {
        coding: [
          {
            system: 'http://snomed.info/sct',
            code: '49521004',
            display: 'Left external ear structure',
          },
        ],
        text: 'Left Ear',
      },
    ],
    subject: { reference: 'Patient/example' },
    encounter: { reference: 'Encounter/example' },
    onsetDateTime: '2012-05-24',
    abatementAge: { value: 40, unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' },
    recordedDate: '2013-04-04',
    asserter: { reference: 'Practitioner/example' },
    stage: [{ summary: { coding: [{ system: 'http://snomed.info/sct', code: '14803004' }] } }],
    evidence: [
      {
        code: [{ coding: [{ system: 'http://snomed.info/sct', code: '169068008' }] }],
        detail: [{ reference: 'DiagnosticReport/example' }],
      },
    ],
  },
  {
    resourceType: 'MedicationRequest',
    id: 'medrx0302',
    contained: [
      {
        resourceType: 'Medication',
        id: 'med0311',
        code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '4450' }] },
      },
    ],
    identifier: [
      { use: 'official', system: 'http://www.bmc.nl/portal/prescriptions', value: '12345689' },
    ],
    status: 'completed',
    intent: 'order',
    priority: 'routine',
    medicationReference: { reference: '#med0311' },
    subject: { reference: 'Patient/example' },
    encounter: { reference: 'Encounter/example' },
    authoredOn: '2015-01-15',
    requester: { reference: 'Practitioner/example' },
    performer: { reference: 'Practitioner/f007' },
    reasonCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '359817006' }] }],
    dosageInstruction: [
      {
        sequence: 1,
        timing: {
          repeat: { frequency: 1, period: 1, periodUnit: 'd' },
          event: ['2015-01-15T08:00:00Z'],
        },
      },
    ],
    dispenseRequest: {
      validityPeriod: { start: '2015-01-15', end: '2016-01-15' },
      performer: { reference: 'Organization/f001' },
    },
  },
  {
    resourceType: 'AllergyIntolerance',
    id: 'example',
    clinicalStatus: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
          code: 'active',
        },
      ],
    },
    type: 'allergy',
    category: ['food'],
    criticality: 'high',
    code: {
      coding: [{ system: 'http://snomed.info/sct', code: '227493005', display: 'Cashew nuts' }],
    },
    patient: { reference: 'Patient/example' },
    onsetDateTime: '2004',
    recordedDate: '2014-10-09T14:58:00+11:00',
    recorder: { reference: 'Practitioner/example' },
    asserter: { reference: 'Patient/example' },
    lastOccurrence: '2012-06',
    reaction: [
      {
        manifestation: [
          {
            coding: [
              {
                system: 'http://snomed.info/sct',
                code: '39579001',
                display: 'Anaphylactic reaction',
              },
            ],
          },
        ],
        onset: '2012-06-12',
        severity: 'severe',
        exposureRoute: { coding: [{ system: 'http://snomed.info/sct', code: '34206005' }] },
      },
    ],
  },
  {
    resourceType: 'Procedure',
    id: 'example',
    status: 'completed',
    code: {
      coding: [{ system: 'http://snomed.info/sct', code: '80146002', display: 'Appendectomy' }],
      text: 'Appendectomy',
    },
    subject: { reference: 'Patient/example' },
    performedPeriod: { start: '2013-04-05', end: '2013-04-05T11:30:00+10:00' },
    recorder: { reference: 'Practitioner/example' },
    performer: [{ actor: { reference: 'Practitioner/example' } }],
    reasonCode: [
      { text: 'Generalized abdominal pain 24 hours. Localized in RIF with rebound and guarding' },
    ],
    location: { reference: 'Location/1' },
    instantiatesCanonical: ['http://example.org/fhir/PlanDefinition/KDN5|2.0'],
    instantiatesUri: ['http://example.org/protocols/appendectomy'],
  },
  {
    resourceType: 'Immunization',
    id: 'example',
    status: 'completed',
    vaccineCode: {
      coding: [{ system: 'urn:oid:1.2.36.1.2001.1005.17', code: 'FLUVAX' }],
      text: 'Fluvax (Influenza)',
    },
    patient: { reference: 'Patient/example' },
    occurrenceDateTime: '2013-01-10',
    lotNumber: 'AAJN11K',
    expirationDate: '2015-02-15',
    performer: [{ actor: { reference: 'Practitioner/example' } }],
    reasonCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '429060002' }] }],
    protocolApplied: [
      {
        targetDisease: [{ coding: [{ system: 'http://snomed.info/sct', code: '6142004' }] }],
        doseNumberPositiveInt: 1,
      },
    ],
  },
  {
    resourceType: 'DiagnosticReport',
    id: 'example',
    identifier: [{ system: 'http://acme.com/lab/reports', value: '5234342' }],
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'HM' }] },
    ],
    code: {
      coding: [
        {
          system: 'http://loinc.org',
          code: '58410-2',
          display: 'Complete blood count (hemogram) panel',
        },
      ],
    },
    subject: { reference: 'Patient/example' },
    encounter: { reference: 'Encounter/example' },
    effectiveDateTime: '2011-03-04T08:30:00+11:00',
    issued: '2011-03-04T11:45:33+11:00',
    performer: [{ reference: 'Organization/1832473e-2fe0-452d-abe9-3cdb9879522f' }],
    result: [{ reference: 'Observation/glucose' }, { reference: 'Observation/blood-pressure' }],
    conclusionCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '428763004' }] }],
  },
  {
    resourceType: 'Organization',
    id: '1',
    identifier: [
      { system: 'http://www.zorgkaartnederland.nl/', value: 'Artis University Medical Center' },
    ],
    active: true,
    type: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov' },
        ],
      },
    ],
    name: 'Gastroenterology',
    alias: ['ACME GI'],
    telecom: [{ system: 'phone', value: '+1 555 234 3523', use: 'mobile' }],
    address: [
      {
        line: ['Galapagosweg 91, Building A'],
        city: 'Den Burg',
        postalCode: '9105 PZ',
        country: 'NLD',
      },
    ],
    partOf: { reference: 'Organization/2.16.840.1.113883.19.5' },
    endpoint: [{ reference: 'Endpoint/example' }],
  },
  {
    resourceType: 'Practitioner',
    id: 'example',
    identifier: [{ system: 'http://www.acme.org/practitioners', value: '23' }],
    active: true,
    name: [{ family: 'Careful', given: ['Adam'], prefix: ['Dr'] }],
    address: [
      {
        use: 'home',
        line: ['534 Erewhon St'],
        city: 'PleasantVille',
        state: 'Vic',
        postalCode: '3999',
      },
    ],
    qualification: [
      {
        code: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0360/2.7', code: 'BS' }],
          text: 'Bachelor of Science',
        },
        period: { start: '1995' },
      },
    ],
    communication: [{ coding: [{ system: 'urn:ietf:bcp:47', code: 'en' }] }],
  },
  {
    resourceType: 'ValueSet',
    id: 'example',
    url: 'http://hl7.org/fhir/ValueSet/example-extensional',
    identifier: [
      { system: 'http://acme.com/identifiers/valuesets', value: 'loinc-cholesterol-int' },
    ],
    version: '20150622',
    name: 'LOINC Codes for Cholesterol in Serum/Plasma',
    status: 'draft',
    date: '2015-06-22',
    publisher: 'HL7 International',
    useContext: [
      {
        code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'age' },
        valueRange: { low: { value: 18, unit: 'yrs' } },
      },
    ],
    jurisdiction: [{ coding: [{ system: 'urn:iso:std:iso:3166', code: 'US' }] }],
    compose: { include: [{ system: 'http://loinc.org', concept: [{ code: '14647-2' }] }] },
  },
]
