// Test aids: a scripted xDS client over real gRPC. Import as `@ciliary/service-mesh-translator/testing`.
export { RawAdsStream, connectAds } from './ads-client';
