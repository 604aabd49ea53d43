import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type CfnSecret, type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ImportedSecrets } from './stages.ts';

export interface ServiceSecretsProps {
  /** Secret names are `<prefix>/mongodb-uri`, `<prefix>/jwt-private-key` and `<prefix>/jwt-public-keys`. */
  readonly prefix: string;
  /** Applied to the secrets this construct creates; imported ones are never touched. */
  readonly removalPolicy: RemovalPolicy;
  /** Existing secrets to use instead of creating them. */
  readonly imported?: ImportedSecrets;
}

/**
 * The service's three secrets. Created ones start empty: no value is generated, and none is ever in
 * the template. Their values are put after the first deploy (see README, "Deploying").
 *
 * - `databaseUri`: the MongoDB connection string (read by every route function).
 * - `signingKey`: the private Ed25519 JWK with `kid` (read only by token-issuing functions).
 * - `verificationKeys`: the public JWK Set (read by the authorizer). Not secret, but kept here so
 *   a key rotation is a `put-secret-value`, not a redeploy.
 */
export class ServiceSecrets extends Construct {
  readonly databaseUri: ISecret;
  readonly signingKey: ISecret;
  readonly verificationKeys: ISecret;

  constructor(scope: Construct, id: string, props: ServiceSecretsProps) {
    super(scope, id);
    const make = (id: string, name: string, description: string, arn: string | undefined): ISecret =>
      arn
        ? Secret.fromSecretCompleteArn(this, id, arn)
        : emptySecret(this, id, `${props.prefix}/${name}`, description, props.removalPolicy);
    this.databaseUri = make(
      'DatabaseUri',
      'mongodb-uri',
      'MongoDB connection string (a mongodb+srv URI) of the orgs service',
      props.imported?.databaseUriArn,
    );
    this.signingKey = make(
      'SigningKey',
      'jwt-private-key',
      'Private Ed25519 JWK (with kid and alg) that signs access tokens',
      props.imported?.signingKeyArn,
    );
    this.verificationKeys = make(
      'VerificationKeys',
      'jwt-public-keys',
      'JWK Set of the public keys access tokens are verified with',
      props.imported?.verificationKeysArn,
    );
  }
}

function emptySecret(scope: Construct, id: string, secretName: string, description: string, removalPolicy: RemovalPolicy) {
  const secret = new Secret(scope, id, { secretName, description, removalPolicy });
  // The L2 construct asks CloudFormation to generate a random value when none is given; without
  // GenerateSecretString the secret is created with no value at all, which fails loudly on read
  // until the real one is put, instead of handing a random string to the functions.
  (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Values come from outside AWS (the MongoDB deployment, an offline key pair); they are rotated by putting a new ' +
      'value (see README), so there is no rotation Lambda to schedule.',
  });
  return secret;
}
