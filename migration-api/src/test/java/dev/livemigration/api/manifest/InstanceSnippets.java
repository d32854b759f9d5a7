package dev.livemigration.api.manifest;

import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;

/** VMI and claim manifests as a cluster holds them, for the tests of reading and writing VMIs. */
final class InstanceSnippets {
  /**
   * KubeVirt's {@code vmi-fedora} as {@code kubectl get vmi -o yaml} shows it once it runs: a
   * container disk, a cloud-init disk, and a masquerade interface on the pod network forwarding
   * ports 80 and 22; with the many fields this library ignores.
   */
  static final String FEDORA =
      """
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstance
      metadata:
        annotations:
          kubevirt.io/latest-observed-api-version: v1
          kubevirt.io/storage-observed-api-version: v1
        creationTimestamp: "2024-05-01T08:00:00Z"
        finalizers:
          - kubevirt.io/virtualMachineControllerFinalize
          - foregroundDeleteVirtualMachine
        generation: 8
        labels:
          special: vmi-fedora
          kubevirt.io/nodeName: node02
        name: vmi-fedora
        namespace: default
        resourceVersion: "5317"
        uid: 3c0d5b0a-7a4e-4b3f-9d2a-6f1e2d3c4b5a
      spec:
        domain:
          cpu:
            cores: 1
            model: host-model
            sockets: 1
            threads: 1
          devices:
            disks:
              - disk:
                  bus: virtio
                name: containerdisk
              - disk:
                  bus: virtio
                name: cloudinitdisk
            interfaces:
              - macAddress: "52:54:00:5e:9a:01"
                masquerade: {}
                name: default
                ports:
                  - name: http
                    port: 80
                    protocol: TCP
                  - name: ssh
                    port: 22
            rng: {}
          features:
            acpi:
              enabled: true
          firmware:
            uuid: 5a9fc181-957e-5c32-9e5a-2de5e9673531
          machine:
            type: q35
          memory:
            guest: 1Gi
          resources:
            requests:
              memory: 1Gi
        evictionStrategy: LiveMigrate
        networks:
          - name: default
            pod: {}
        terminationGracePeriodSeconds: 0
        volumes:
          - containerDisk:
              image: quay.io/kubevirt/fedora-with-test-tooling-container-disk:devel
              imagePullPolicy: IfNotPresent
            name: containerdisk
          - cloudInitNoCloud:
              userData: |-
                #cloud-config
                password: fedora
                chpasswd: { expire: False }
            name: cloudinitdisk
      status:
        activePods:
          d6b2f8c5-1f2e-4a5b-8c7d-9e0f1a2b3c4d: node02
        conditions:
          - lastProbeTime: null
            lastTransitionTime: "2024-05-01T08:00:12Z"
            status: "True"
            type: Ready
          - lastProbeTime: null
            lastTransitionTime: null
            status: "True"
            type: LiveMigratable
        guestOSInfo: {}
        interfaces:
          - infoSource: domain
            ipAddress: 10.244.0.23
            ipAddresses:
              - 10.244.0.23
            mac: "52:54:00:5e:9a:01"
            name: default
            queueCount: 1
        launcherContainerImageVersion: quay.io/kubevirt/virt-launcher:v1.2.0
        migrationMethod: BlockMigration
        migrationTransport: Unix
        nodeName: node02
        phase: Running
        qosClass: Burstable
        volumeStatus:
          - name: cloudinitdisk
            size: 1048576
            target: vdb
          - name: containerdisk
            target: vda
      """;

  /** The VMI {@link #FEDORA} describes. */
  static final VirtualMachineInstance FEDORA_VMI =
      VirtualMachineInstance.builder()
          .name("vmi-fedora")
          .namespace("default")
          .nodeName("node02")
          .putLabels("special", "vmi-fedora")
          .putLabels("kubevirt.io/nodeName", "node02")
          .putAnnotations("kubevirt.io/latest-observed-api-version", "v1")
          .putAnnotations("kubevirt.io/storage-observed-api-version", "v1")
          .memory(Quantity.ofGibibytes(1))
          .addVolumes(
              Volume.builder().name("containerdisk").type(VolumeType.CONTAINER_DISK).build(),
              // its size from status.volumeStatus
              Volume.builder()
                  .name("cloudinitdisk")
                  .type(VolumeType.GENERATED)
                  .size(Quantity.ofMebibytes(1))
                  .build())
          .addInterfaces(
              NetworkInterface.builder()
                  .name("default")
                  .binding(InterfaceBinding.MASQUERADE)
                  .addPorts(80, 22)
                  .build())
          .build();

  /**
   * A VMI whose root disk is a claim and whose data disk is a DataVolume, with its two claims (one
   * RWX, one RWO) and a claim of the same name in another namespace.
   */
  static final String DATABASE =
      """
      apiVersion: kubevirt.io/v1
      kind: VirtualMachineInstance
      metadata:
        name: vmi-database
        namespace: prod
      spec:
        domain:
          devices:
            disks:
              - name: rootdisk
                disk: {bus: virtio}
              - name: datadisk
                disk: {bus: virtio}
            interfaces:
              - name: default
                bridge: {}
          resources:
            requests:
              memory: 4Gi
        networks:
          - name: default
            pod: {}
        volumes:
          - name: rootdisk
            persistentVolumeClaim:
              claimName: database-root
          - name: datadisk
            dataVolume:
              name: database-data
      status:
        nodeName: node01
        phase: Running
      ---
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: database-root
        namespace: prod
      spec:
        accessModes:
          - ReadWriteMany
        storageClassName: ocs-storagecluster-ceph-rbd
        volumeMode: Block
        resources:
          requests:
            storage: 30Gi
      status:
        phase: Bound
        accessModes:
          - ReadWriteMany
        capacity:
          storage: 30Gi
      ---
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: database-data
        namespace: prod
        labels:
          app: containerized-data-importer
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 100Gi
      ---
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: database-root
        namespace: staging
      spec:
        accessModes: [ReadWriteOnce]
      """;

  private InstanceSnippets() {}
}
